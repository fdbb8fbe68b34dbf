package gitlabtest

import (
	"bytes"
	"fmt"
	"time"
)

// JobLogErrorLine is the line of the first error in a JobLog (1-based): the
// line saying `--- FAIL: TestLoadMissingFile`.
func JobLogErrorLine(log []byte) int {
	i := bytes.Index(log, []byte("--- FAIL: TestLoadMissingFile"))
	if i < 0 {
		return 0
	}
	return bytes.Count(log[:i], []byte("\n")) + 1
}

// JobLog builds a GitLab runner log of about size bytes: ANSI colours, `\r`
// progress overwrites and collapsible section markers, a Go test failure about
// 80% of the way through, and the runner's closing "ERROR: Job failed". Only
// the failure lines contain error-like words.
func JobLog(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 4096)
	ts := 1732350000
	sec := func(kind, name, opts string) {
		ts++
		fmt.Fprintf(&b, "\x1b[0K%s:%d:%s%s\r\x1b[0K", kind, ts, name, opts)
	}
	sec("section_start", "prepare_executor", "[collapsed=true]")
	b.WriteString("\x1b[0K\x1b[36;1mPreparing the \"docker\" executor\x1b[0;m\n")
	b.WriteString("Using Docker executor with image golang:1.26 ...\n")
	sec("section_end", "prepare_executor", "")
	b.WriteString("\n")
	sec("section_start", "get_sources", "[collapsed=true]")
	b.WriteString("\x1b[0K\x1b[36;1mGetting source from Git repository\x1b[0;m\n")
	for p := 0; p <= 100; p += 25 {
		fmt.Fprintf(&b, "Receiving objects: %3d%% (%d/1200)\r", p, p*12)
	}
	b.WriteString("Receiving objects: 100% (1200/1200), done.\n")
	sec("section_end", "get_sources", "")
	b.WriteString("\n")
	sec("section_start", "step_script", "")
	b.WriteString("\x1b[0K\x1b[36;1mExecuting \"step_script\" stage of the job script\x1b[0;m\n")
	b.WriteString("\x1b[32;1m$ go test -v ./...\x1b[0;m\n")
	failAt := size * 8 / 10
	pkg := 0
	for b.Len() < size-2048 {
		if failAt > 0 && b.Len() >= failAt {
			failAt = 0
			b.WriteString("=== RUN   TestLoadMissingFile\n")
			b.WriteString("--- FAIL: TestLoadMissingFile (0.00s)\n")
			b.WriteString("    load_test.go:42: open /root/.config/wend/config.toml: no such file or directory\n")
			b.WriteString("\x1b[31;1mFAIL\x1b[0m\tgitlab.com/wend/wend/internal/config\t0.012s\n")
			continue
		}
		pkg++
		fmt.Fprintf(&b, "=== RUN   TestCase%d\n--- \x1b[32mPASS\x1b[0m: TestCase%d (0.%02ds)\n", pkg, pkg, pkg%100)
		if pkg%50 == 0 {
			fmt.Fprintf(&b, "\x1b[32mok\x1b[0m  \tgitlab.com/wend/wend/internal/pkg%d\t0.%03ds\n", pkg, pkg%1000)
		}
	}
	sec("section_end", "step_script", "")
	sec("section_start", "cleanup_file_variables", "[collapsed=true]")
	b.WriteString("\x1b[0K\x1b[36;1mCleaning up project directory and file based variables\x1b[0;m\n")
	sec("section_end", "cleanup_file_variables", "")
	b.WriteString("\x1b[31;1mERROR: Job failed: exit code 1\n\x1b[0;m\n")
	return b.Bytes()
}

// runnerChunk is the most a runner's timestamper holds of one line before it
// flushes it and marks the rest as a continuation (its bufSize).
const runnerChunk = 8 << 10

// Timestamped rewrites a plain log as GitLab Runner 18.7 and later store it:
// every physical line starts with `2026-11-02T10:30:00.000001Z 00O ` (UTC
// time with six fractional digits, stream number in hex, O or E, then ' ' or
// '+'). Like the runner's timestamper, a line is split after a carriage
// return that does not end it (a progress bar, a section marker's `\r\e[0K`)
// and every runnerChunk bytes, each later piece marked '+' (continuation).
// Lines containing "FAIL" or "ERROR" go to stream E (stderr), as a test
// binary's and the runner's error messages do. Joining the continuations
// and removing the headers gives plain back byte for byte.
func Timestamped(plain []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(plain) * 3 / 2)
	ts := time.Date(2026, 11, 2, 10, 30, 0, 0, time.UTC)
	header := func(stream byte, cont bool) {
		ts = ts.Add(173 * time.Microsecond)
		out.Write(ts.AppendFormat(nil, "2006-01-02T15:04:05.000000Z"))
		flag := byte(' ')
		if cont {
			flag = '+'
		}
		out.Write([]byte{' ', '0', '1', stream, flag})
	}
	for len(plain) > 0 {
		line := plain
		if i := bytes.IndexByte(plain, '\n'); i >= 0 {
			line, plain = plain[:i], plain[i+1:]
		} else {
			plain = nil
		}
		stream := byte('O')
		if bytes.Contains(line, []byte("FAIL")) || bytes.Contains(line, []byte("ERROR")) {
			stream = 'E'
		}
		first := true
		for {
			piece := line
			if i := bytes.IndexByte(line, '\r'); i >= 0 && i < len(line)-1 {
				piece = line[:i+1]
				if bytes.HasPrefix(line[i+1:], []byte("\x1b[0K")) {
					piece = line[:i+1+len("\x1b[0K")]
				}
			}
			piece = piece[:min(len(piece), runnerChunk)]
			header(stream, !first)
			out.Write(piece)
			out.WriteByte('\n')
			line, first = line[len(piece):], false
			if len(line) == 0 {
				break
			}
		}
	}
	return out.Bytes()
}
