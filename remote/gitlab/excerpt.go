package gitlab

import (
	"fmt"
	"io"
	"strings"

	"gitlab.com/wend/wend/remote/redact"
)

// ExcerptOptions sizes a log excerpt. Zero fields take the defaults in brackets.
type ExcerptOptions struct {
	Before int // lines kept before the first error [15]
	After  int // lines kept after it [25]
	Tail   int // last lines of the log [40]
}

// Excerpt is the part of a job log that matters, read in one pass: the lines
// around the first error, the tail, and the section outline.
type Excerpt struct {
	Lines     int          `json:"lines"`
	Bytes     int64        `json:"bytes"`
	ErrorLine int          `json:"error_line,omitempty"` // 0: no error-looking line
	Context   []LogLine    `json:"context,omitempty"`    // around ErrorLine
	Tail      []LogLine    `json:"tail"`
	Sections  []LogSection `json:"sections,omitempty"`
}

// ExtractExcerpt reads a log to the end. Memory is bounded by the options, not
// by the log's size.
func ExtractExcerpt(r io.Reader, opt ExcerptOptions) (*Excerpt, error) {
	x := NewExcerptWriter(opt)
	buf := make([]byte, 64<<10)
	if _, err := io.CopyBuffer(x, r, buf); err != nil {
		return nil, err
	}
	return x.Excerpt(), nil
}

// ExcerptWriter is the streaming form of ExtractExcerpt: write the log to it
// (io.Copy from a response body), then call Excerpt once.
type ExcerptWriter struct {
	ll        logLines
	opt       ExcerptOptions
	tail      *ring // also supplies the lines before the first error
	errLine   int
	context   []LogLine
	afterLeft int
}

// NewExcerptWriter returns an empty ExcerptWriter.
func NewExcerptWriter(opt ExcerptOptions) *ExcerptWriter {
	if opt.Before <= 0 {
		opt.Before = 15
	}
	if opt.After <= 0 {
		opt.After = 25
	}
	if opt.Tail <= 0 {
		opt.Tail = 40
	}
	x := &ExcerptWriter{opt: opt, tail: newRing(max(opt.Tail, opt.Before))}
	x.ll.emit = x.line
	return x
}

func (x *ExcerptWriter) Write(p []byte) (int, error) { return x.ll.Write(p) }

func (x *ExcerptWriter) line(n int, text []byte) {
	switch {
	case x.errLine == 0 && isErrorLine(text):
		x.errLine = n
		before := x.tail.lines()
		x.context = append(before[max(0, len(before)-x.opt.Before):], LogLine{N: n, Text: string(text)})
		x.afterLeft = x.opt.After
	case x.errLine == 0:
	case x.afterLeft > 0:
		x.context = append(x.context, LogLine{N: n, Text: string(text)})
		x.afterLeft--
	}
	x.tail.push(n, text)
}

// Excerpt finishes the stream and returns what was kept.
func (x *ExcerptWriter) Excerpt() *Excerpt {
	x.ll.close()
	tail := x.tail.lines()
	return &Excerpt{
		Lines: x.ll.n, Bytes: x.ll.bytes, ErrorLine: x.errLine,
		Context: x.context, Tail: tail[max(0, len(tail)-x.opt.Tail):], Sections: x.ll.sections,
	}
}

// Markdown renders the excerpt for the model and the user: the section outline
// (folded to one line each, the one holding the error marked), the numbered
// lines around the first error, the tail, and what was left out with the
// gitlab_get_job_log call that fetches it. Text is redacted.
func (e *Excerpt) Markdown(jobID int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Log: %d lines, %s.", e.Lines, humanBytes(e.Bytes))
	if len(e.Sections) > 0 {
		b.WriteString(" Sections (folded):\n")
		for _, s := range e.Sections {
			end := "unfinished"
			if s.End > 0 {
				end = itoa(s.End)
			}
			mark := "▸"
			if e.ErrorLine >= s.Start && (s.End == 0 || e.ErrorLine <= s.End) && e.ErrorLine > 0 {
				mark = "▾ (first error here)"
			}
			fmt.Fprintf(&b, "- %s %s, lines %d–%s", mark, s.Name, s.Start, end)
			if s.Header != "" {
				fmt.Fprintf(&b, ": %s", redact.String(s.Header))
			}
			b.WriteByte('\n')
		}
	} else {
		b.WriteByte('\n')
	}
	shown := mergeLines(e.Context, e.Tail)
	b.WriteString("```text\n")
	prev := 0
	for _, l := range shown {
		if prev != 0 && l.N != prev+1 {
			fmt.Fprintf(&b, "… lines %d–%d not shown\n", prev+1, l.N-1)
		}
		fmt.Fprintf(&b, "%6d | %s\n", l.N, redact.String(l.Text))
		prev = l.N
	}
	b.WriteString("```\n")
	if len(shown) < e.Lines {
		first := 1
		if len(shown) > 0 {
			first = shown[0].N
		}
		fmt.Fprintf(&b, "Shown: %d of %d lines", len(shown), e.Lines)
		if e.ErrorLine > 0 {
			fmt.Fprintf(&b, " (first error-like line: %d)", e.ErrorLine)
		} else {
			b.WriteString(" (no error-like line found; the tail is shown)")
		}
		fmt.Fprintf(&b, ". More: gitlab_get_job_log {\"job\": %d, \"start_line\": %d, \"end_line\": %d}.\n",
			jobID, max(1, first-200), first-1)
	}
	return b.String()
}

// mergeLines merges two ascending line lists, dropping duplicates.
func mergeLines(a, b []LogLine) []LogLine {
	out := make([]LogLine, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || (i < len(a) && a[i].N < b[j].N):
			out = append(out, a[i])
			i++
		case i >= len(a) || b[j].N < a[i].N:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	return out
}

// LogRange is the result of reading one range of lines from a log.
type LogRange struct {
	Lines   []LogLine `json:"lines"`
	Total   int       `json:"total"`
	Start   int       `json:"start"`
	End     int       `json:"end"`
	Clipped bool      `json:"clipped,omitempty"` // the range exceeded MaxRangeLines
}

// MaxRangeLines caps one gitlab_get_job_log range.
const MaxRangeLines = 500

// rangeWriter keeps lines start..end (inclusive) of a log stream.
type rangeWriter struct {
	ll         logLines
	start, end int
	out        LogRange
}

func newRangeWriter(start, end int) *rangeWriter {
	if start < 1 {
		start = 1
	}
	if end < start || end-start+1 > MaxRangeLines {
		end = start + MaxRangeLines - 1
	}
	w := &rangeWriter{start: start, end: end}
	w.ll.emit = func(n int, text []byte) {
		if n >= w.start && n <= w.end {
			w.out.Lines = append(w.out.Lines, LogLine{N: n, Text: string(text)})
		}
	}
	return w
}

func (w *rangeWriter) Write(p []byte) (int, error) { return w.ll.Write(p) }

func (w *rangeWriter) result(asked int) LogRange {
	w.ll.close()
	w.out.Total, w.out.Start, w.out.End = w.ll.n, w.start, min(w.end, w.ll.n)
	w.out.Clipped = asked > w.end
	return w.out
}

// Markdown renders the range with line numbers, redacted.
func (r LogRange) Markdown(jobID int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Job %d log, lines %d–%d of %d:\n```text\n", jobID, r.Start, r.End, r.Total)
	for _, l := range r.Lines {
		fmt.Fprintf(&b, "%6d | %s\n", l.N, redact.String(l.Text))
	}
	b.WriteString("```\n")
	if r.End < r.Total {
		fmt.Fprintf(&b, "More: gitlab_get_job_log {\"job\": %d, \"start_line\": %d, \"end_line\": %d}.\n", jobID, r.End+1, min(r.Total, r.End+MaxRangeLines))
	}
	return b.String()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
