package gitlab

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
)

// A log as GitLab Runner 18.7+ stores it (a timestamp and stream header on
// every physical line, continuations marked '+') gives the same excerpt as
// the same log without headers: same lines, same numbers, same sections, same
// first error.
func TestTimestampedExcerptMatchesPlain(t *testing.T) {
	plain := gitlabtest.JobLog(512 << 10)
	stamped := gitlabtest.Timestamped(plain)
	if !bytes.Contains(stamped, []byte("Z 01O+")) || !bytes.Contains(stamped, []byte("Z 01E ")) {
		t.Fatal("fixture has no continuation or stderr lines")
	}
	want, err := ExtractExcerpt(bytes.NewReader(plain), ExcerptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// One byte at a time, so every header and continuation is split across writes.
	for name, r := range map[string]io.Reader{"whole": bytes.NewReader(stamped), "bytewise": iotest.OneByteReader(bytes.NewReader(stamped))} {
		t.Run(name, func(t *testing.T) {
			got, err := ExtractExcerpt(r, ExcerptOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got.Bytes = want.Bytes // the headers make the raw log longer
			if !reflect.DeepEqual(got, want) {
				t.Errorf("timestamped excerpt differs:\n got %+v\nwant %+v", excerptSummary(got), excerptSummary(want))
			}
			if got.ErrorLine != gitlabtest.JobLogErrorLine(plain) || len(got.Sections) != 4 {
				t.Errorf("error line %d, sections %d", got.ErrorLine, len(got.Sections))
			}
		})
	}
}

func excerptSummary(e *Excerpt) string {
	var b strings.Builder
	b.WriteString("lines " + itoa(e.Lines) + " error " + itoa(e.ErrorLine) + " sections ")
	for _, s := range e.Sections {
		b.WriteString(s.Name + ":" + itoa(s.Start) + "-" + itoa(s.End) + "[" + s.Header + "] ")
	}
	for _, l := range append(e.Context[:min(3, len(e.Context))], e.Tail[max(0, len(e.Tail)-3):]...) {
		b.WriteString("\n  " + itoa(l.N) + " " + l.Text)
	}
	return b.String()
}

// The shapes GitLab Runner's own timestamper tests show: a split write, a
// progress bar flushed at each carriage return as continuations, a section
// marker flushed on its own with the rest as a continuation, stderr
// interleaved, a final line without a newline.
func TestTimestampedLogLines(t *testing.T) {
	log := "2026-12-04T10:20:30.123456Z 00O Running with gitlab-runner 18.7.0\n" +
		"2026-12-04T10:20:30.200000Z 00O \x1b[0Ksection_start:1764843630:get_sources[collapsed=true]\r\x1b[0K\n" +
		"2026-12-04T10:20:30.200001Z 00O+\x1b[0K\x1b[36;1mGetting source from Git repository\x1b[0;m\n" +
		"2026-12-04T10:20:31.000000Z 01O Progress: .\r\n" +
		"2026-12-04T10:20:31.100000Z 01O+..\r\n" +
		"2026-12-04T10:20:31.200000Z 01O+Done.\n" +
		"2026-12-04T10:20:31.300000Z 01E error: could not lock config file\n" +
		"2026-12-04T10:20:31.400000Z 00O section_end:1764843631:get_sources\r\x1b[0K\n" +
		"2026-12-04T10:20:31.500000Z 00O+2026-12-04T10:20:31.500000Z 00O text that looks like a header\n" +
		"2026-12-04T10:20:32.000000Z ffE ERROR: Job failed: exit code 1"
	var got []string
	ll := logLines{emit: func(n int, b []byte) { got = append(got, itoa(n)+" "+string(b)) }}
	ll.Write([]byte(log))
	ll.close()
	want := []string{
		"1 Running with gitlab-runner 18.7.0",
		"2 Getting source from Git repository",
		"3 Done.",
		"4 error: could not lock config file",
		"5 2026-12-04T10:20:31.500000Z 00O text that looks like a header",
		"6 ERROR: Job failed: exit code 1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(ll.sections) != 1 || ll.sections[0] != (LogSection{Name: "get_sources", Header: "Getting source from Git repository", Start: 2, End: 5, Collapsed: true}) {
		t.Errorf("sections %+v", ll.sections)
	}
}

// A plain log whose later lines happen to start like a header keeps them: the
// format is decided on the first line, as GitLab decides it.
func TestPlainLogKeepsHeaderLikeText(t *testing.T) {
	var got []string
	ll := logLines{emit: func(n int, b []byte) { got = append(got, string(b)) }}
	ll.Write([]byte("plain first line\n2026-12-04T10:20:30.123456Z 00O+not a continuation\n"))
	ll.close()
	if len(got) != 2 || got[1] != "2026-12-04T10:20:30.123456Z 00O+not a continuation" {
		t.Errorf("got %q", got)
	}
}

func BenchmarkExcerpt5MBTimestamped(b *testing.B) {
	log := gitlabtest.Timestamped(gitlabtest.JobLog(gitlabtest.JobLogBytes))
	b.SetBytes(int64(len(log)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := ExtractExcerpt(bytes.NewReader(log), ExcerptOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}
