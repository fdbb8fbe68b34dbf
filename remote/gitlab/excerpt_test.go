package gitlab

import (
	"bytes"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
)

func TestExcerptOfLargeLog(t *testing.T) {
	log := gitlabtest.JobLog(gitlabtest.JobLogBytes)
	errLine := gitlabtest.JobLogErrorLine(log)
	ex, err := ExtractExcerpt(bytes.NewReader(log), ExcerptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ex.ErrorLine != errLine {
		t.Errorf("error line %d, want %d", ex.ErrorLine, errLine)
	}
	if want := bytes.Count(log, []byte("\n")); ex.Lines != want {
		t.Errorf("lines %d, want %d", ex.Lines, want)
	}
	if len(ex.Context) != 15+1+25 || len(ex.Tail) != 40 {
		t.Errorf("context %d tail %d", len(ex.Context), len(ex.Tail))
	}
	names := []string{}
	for _, s := range ex.Sections {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "prepare_executor,get_sources,step_script,cleanup_file_variables" {
		t.Errorf("sections %v", names)
	}
	if ex.Sections[1].Header != "Getting source from Git repository" || !ex.Sections[0].Collapsed || ex.Sections[2].Collapsed {
		t.Errorf("section details %+v", ex.Sections[:3])
	}
	for _, l := range append(ex.Context, ex.Tail...) {
		if strings.ContainsAny(l.Text, "\x1b\r") {
			t.Errorf("line %d not cleaned: %q", l.N, l.Text)
		}
	}
	// Line numbers are those of the original log.
	orig := strings.Split(string(log), "\n")
	if !strings.Contains(orig[errLine-1], "--- FAIL: TestLoadMissingFile") {
		t.Errorf("original line %d is %q", errLine, orig[errLine-1])
	}
}

func TestLogLineCleaning(t *testing.T) {
	var got []string
	ll := logLines{emit: func(n int, b []byte) { got = append(got, string(b)) }}
	ll.Write([]byte("\x1b[0Ksection_start:1700000000:build_step[collapsed=true]\r\x1b[0K\x1b[36;1mBuilding\x1b[0;m\n"))
	ll.Write([]byte("progress 10%\rprogress 50%\rprogress 100%\n"))
	ll.Write([]byte("\x1b]8;;https://x\x07link\x1b]8;;\x07 text\n"))
	ll.Write([]byte("trailing cr\r\n"))
	ll.Write([]byte("section_end:1700000001:build_step\r\x1b[0Kno newline at end"))
	ll.close()
	want := []string{"Building", "progress 100%", "link text", "trailing cr", "no newline at end"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if len(ll.sections) != 1 || ll.sections[0].Start != 1 || ll.sections[0].End != 5 || ll.sections[0].Header != "Building" {
		t.Errorf("sections %+v", ll.sections)
	}
}

func TestIsErrorLine(t *testing.T) {
	for s, want := range map[string]bool{
		"ERROR: Job failed": true, "--- FAIL: TestX": true, "panic: runtime error": true, "fatal: not a git repository": true,
		"java.lang.NullPointerException": false, "Exception in thread main": true, "stderr output": false, "=== RUN TestErrorf": false,
		"ok  pkg 0.1s": false, "build failed": true,
	} {
		if isErrorLine([]byte(s)) != want {
			t.Errorf("isErrorLine(%q) = %v", s, !want)
		}
	}
}

func TestLogRange(t *testing.T) {
	srv := gitlabtest.New(t)
	c, _ := testClient(t, srv)
	r, err := c.JobLogRange(bg, gitlabtest.Project, gitlabtest.FailedJobID, 10, 12)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Lines) != 3 || r.Lines[0].N != 10 || r.Total < 100000 {
		t.Fatalf("range %+v", r)
	}
	md := r.Markdown(gitlabtest.FailedJobID)
	if !strings.Contains(md, "lines 10–12 of") || !strings.Contains(md, `"start_line": 13`) {
		t.Errorf("range markdown:\n%s", md)
	}
	big, _ := c.JobLogRange(bg, gitlabtest.Project, gitlabtest.FailedJobID, 1, 100000)
	if len(big.Lines) != MaxRangeLines || !big.Clipped {
		t.Errorf("range not clipped: %d lines", len(big.Lines))
	}
}

// The excerpt of a 5 MB log keeps memory proportional to the excerpt, not the
// log's size. (Its time, under 50 ms, is BenchmarkExcerpt5MB's to report.)
func TestExcerptMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's allocations distort the count")
	}
	log := gitlabtest.JobLog(gitlabtest.JobLogBytes)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start, cpu0 := time.Now(), cpuTime()
	ex, err := ExtractExcerpt(bytes.NewReader(log), ExcerptOptions{})
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("5 MB log: %v wall, %v CPU, %d KB allocated, error at line %d", elapsed, cpu, alloc>>10, ex.ErrorLine)
	if alloc > 512<<10 {
		t.Errorf("allocated %d KB for a 5 MB log; memory should follow the excerpt", alloc>>10)
	}
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkExcerpt5MB(b *testing.B) {
	log := gitlabtest.JobLog(gitlabtest.JobLogBytes)
	b.SetBytes(int64(len(log)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := ExtractExcerpt(bytes.NewReader(log), ExcerptOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	// CPU per op is the figure that does not depend on the machine's load.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

func BenchmarkJobExcerptOverHTTP(b *testing.B) {
	srv := gitlabtest.New(b)
	c, _ := testClient(b, srv)
	b.SetBytes(int64(len(srv.Data.Logs[gitlabtest.FailedJobID])))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.JobExcerpt(bg, gitlabtest.Project, gitlabtest.FailedJobID, ExcerptOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
