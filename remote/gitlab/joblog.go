package gitlab

import (
	"bytes"
	"strconv"
)

// A job log arrives as a byte stream (several megabytes is common). The types
// in this file read it in one pass with memory bounded by what they keep:
// logLines splits and cleans lines (ANSI escapes stripped, carriage-return
// overwrites resolved, GitLab's section markers parsed), and a sink keeps the
// lines it wants. Line numbers are those of the original log, 1-based.

// maxLineBytes caps one raw log line held in memory; the rest of a longer line
// is dropped (progress bars and minified output are the usual culprits).
const maxLineBytes = 64 << 10

// maxShownLine caps one displayed line.
const maxShownLine = 400

// maxSections caps the section outline kept for a log.
const maxSections = 400

// LogSection is one of GitLab's collapsible sections
// (`section_start:TS:name[collapsed=true]\r\e[0K` ... `section_end:TS:name\r\e[0K`).
type LogSection struct {
	Name      string `json:"name"`
	Header    string `json:"header,omitempty"`
	Start     int    `json:"start"`
	End       int    `json:"end"` // 0 while open (the job died inside it)
	Collapsed bool   `json:"collapsed,omitempty"`
}

// LogLine is one displayed line and its number in the original log.
type LogLine struct {
	N    int    `json:"n"`
	Text string `json:"text"`
}

// logLines is an io.Writer that turns a raw log stream into clean lines and
// passes each to emit. The []byte given to emit is only valid during the call.
//
// Runners from GitLab Runner 18.7 on (earlier ones with FF_TIMESTAMPS) write
// every physical line with a 32-byte header (see tsHeaderLen), and split one
// logical line into several physical ones, each after the first marked as a
// continuation. Whether a log has the headers is decided on its first line, as
// GitLab's own parser does; the headers are then removed and continuations
// joined before anything else looks at the line, so sections, errors and line
// numbers are those of the same log without timestamps.
type logLines struct {
	emit     func(n int, text []byte)
	buf      []byte // the current raw line, at most maxLineBytes
	n        int    // lines completed
	bytes    int64
	clean    []byte // scratch for the cleaned line
	open     []int  // indexes into sections of open sections
	sections []LogSection

	format  logFormat
	pending []byte // timestamped: the logical line being joined
	hasPend bool
}

// logFormat is decided by a log's first line.
type logFormat uint8

const (
	formatUnknown logFormat = iota
	formatPlain
	formatTimestamped
)

// tsHeaderLen is the length of a runner's line header:
// `2026-12-04T10:20:30.123456Z 00O ` (RFC 3339 UTC time with exactly six
// fractional digits, a space, the stream number in two hex digits, O for
// stdout or E for stderr, then ' ' for a new line or '+' for a continuation
// of the previous one). GitLab Runner's timestamper writes it; GitLab's
// Gitlab::Ci::Trace::Stream::TIMESTAMP_HEADER_LENGTH is the same 32.
const tsHeaderLen = 32

// tsHeader reports whether b starts with a runner line header, and whether the
// line continues the previous one. It checks fixed positions, not a regexp: it
// runs on every line.
func tsHeader(b []byte) (ok, continues bool) {
	if len(b) < tsHeaderLen {
		return false, false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 25} {
		if b[i] < '0' || b[i] > '9' {
			return false, false
		}
	}
	if b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[19] != '.' || b[26] != 'Z' || b[27] != ' ' ||
		!isHex(b[28]) || !isHex(b[29]) || (b[30] != 'O' && b[30] != 'E') || (b[31] != ' ' && b[31] != '+') {
		return false, false
	}
	return true, b[31] == '+'
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

func (l *logLines) Write(p []byte) (int, error) {
	total := len(p)
	l.bytes += int64(total)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.append(p)
			break
		}
		if len(l.buf) == 0 {
			// The whole line is in p: no copy.
			l.physical(p[:min(i, maxLineBytes)], p[i+1:])
		} else {
			l.append(p[:i])
			l.physical(l.buf, p[i+1:])
			l.buf = l.buf[:0]
		}
		p = p[i+1:]
	}
	return total, nil
}

// close flushes a final line without a newline.
func (l *logLines) close() {
	if len(l.buf) > 0 {
		l.physical(l.buf, nil)
		l.buf = l.buf[:0]
	}
	if l.hasPend {
		l.line(l.pending)
		l.pending, l.hasPend = l.pending[:0], false
	}
}

// physical handles one line as the runner wrote it; next is what follows it
// in the current write, if anything, so that a line whose successor is
// visibly not a continuation goes out without being copied.
func (l *logLines) physical(raw, next []byte) {
	if l.format == formatUnknown {
		l.format = formatPlain
		if ok, _ := tsHeader(raw); ok {
			l.format = formatTimestamped
		}
	}
	if l.format == formatPlain {
		l.line(raw)
		return
	}
	content := raw
	ok, continues := tsHeader(raw)
	if ok {
		content = raw[tsHeaderLen:]
	}
	if continues && l.hasPend {
		if room := maxLineBytes - len(l.pending); room > 0 {
			l.pending = append(l.pending, content[:min(len(content), room)]...)
		}
		return
	}
	if l.hasPend {
		l.line(l.pending)
		l.pending, l.hasPend = l.pending[:0], false
	}
	if len(next) >= tsHeaderLen {
		if _, nextContinues := tsHeader(next); !nextContinues {
			l.line(content)
			return
		}
	}
	l.pending, l.hasPend = append(l.pending[:0], content...), true
}

func (l *logLines) append(p []byte) {
	if room := maxLineBytes - len(l.buf); room > 0 {
		if len(p) > room {
			p = p[:room]
		}
		l.buf = append(l.buf, p...)
	}
}

var (
	markStart = []byte("section_start:")
	markEnd   = []byte("section_end:")
	markAny   = []byte("section_")
)

// line handles one raw line (without its newline); raw is not kept.
func (l *logLines) line(raw []byte) {
	l.n++
	if bytes.IndexByte(raw, 0x1b) < 0 && bytes.IndexByte(raw, '\r') < 0 {
		l.emit(l.n, capLine(raw))
		return
	}
	marked := bytes.Contains(raw, markAny)
	if marked {
		raw = l.sectionMarkers(raw)
	}
	l.clean = stripANSI(l.clean[:0], raw)
	text := capLine(lastSegment(l.clean))
	if marked {
		l.setHeader(l.n, text)
	}
	l.emit(l.n, text)
}

// sectionMarkers records and removes every section marker in raw. A marker is
// `section_(start|end):<ts>:<name>[<options>]` ending at `\r\e[0K` (or at the
// end of the line when a runner omits it).
func (l *logLines) sectionMarkers(raw []byte) []byte {
	out := raw[:0:0]
	for {
		s, e := bytes.Index(raw, markStart), bytes.Index(raw, markEnd)
		i, start := s, true
		if i < 0 || (e >= 0 && e < i) {
			i, start = e, false
		}
		if i < 0 {
			return append(out, raw...)
		}
		out = append(out, raw[:i]...)
		rest := raw[i:]
		end := bytes.Index(rest, []byte("\r\x1b[0K"))
		var marker []byte
		if end < 0 {
			marker, raw = rest, nil
		} else {
			marker, raw = rest[:end], rest[end+len("\r\x1b[0K"):]
		}
		fields := bytes.SplitN(marker, []byte(":"), 3)
		if len(fields) < 3 {
			continue
		}
		name, opts := fields[2], []byte(nil)
		if j := bytes.IndexByte(name, '['); j >= 0 {
			name, opts = name[:j], name[j:]
		}
		if start {
			l.startSection(string(name), bytes.Contains(opts, []byte("collapsed=true")))
		} else {
			l.endSection(string(name))
		}
	}
}

func (l *logLines) startSection(name string, collapsed bool) {
	if len(l.sections) >= maxSections {
		return
	}
	l.sections = append(l.sections, LogSection{Name: name, Start: l.n, Collapsed: collapsed})
	l.open = append(l.open, len(l.sections)-1)
}

func (l *logLines) endSection(name string) {
	for k := len(l.open) - 1; k >= 0; k-- {
		s := &l.sections[l.open[k]]
		if s.Name == name {
			s.End = l.n
			l.open = append(l.open[:k], l.open[k+1:]...)
			return
		}
	}
}

// setHeader gives the innermost open section started on line n its header
// text, the first text on its start line.
func (l *logLines) setHeader(n int, text []byte) {
	if k := len(l.open); k > 0 {
		s := &l.sections[l.open[k-1]]
		if s.Start == n && s.Header == "" && len(text) > 0 {
			s.Header = string(capLine(text))
		}
	}
}

// stripANSI appends src to dst without CSI, OSC and two-byte escape sequences.
func stripANSI(dst, src []byte) []byte {
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != 0x1b {
			dst = append(dst, c)
			continue
		}
		if i+1 >= len(src) {
			break
		}
		switch src[i+1] {
		case '[': // CSI: parameters, then a final byte 0x40..0x7e
			j := i + 2
			for j < len(src) && (src[j] < 0x40 || src[j] > 0x7e) {
				j++
			}
			i = j
		case ']': // OSC: until BEL or ESC \
			j := i + 2
			for j < len(src) && src[j] != 0x07 && !(src[j] == 0x1b && j+1 < len(src) && src[j+1] == '\\') {
				j++
			}
			if j < len(src) && src[j] == 0x1b {
				j++
			}
			i = j
		default:
			i++
		}
	}
	return dst
}

// lastSegment resolves carriage returns the way a terminal shows them: the
// last non-empty segment wins.
func lastSegment(b []byte) []byte {
	for len(b) > 0 {
		i := bytes.LastIndexByte(b, '\r')
		if i < 0 {
			return b
		}
		if i < len(b)-1 {
			return b[i+1:]
		}
		b = b[:i]
	}
	return b
}

func capLine(b []byte) []byte {
	if len(b) > maxShownLine {
		return b[:maxShownLine]
	}
	return b
}

// isErrorLine reports whether a cleaned line looks like the first sign of a
// failure: error, fail(ed|ure), fatal, panic or exception as a word start, in
// any case. It is a byte scan, not a regexp: it runs on every line of the log.
func isErrorLine(b []byte) bool {
	for i := 0; i < len(b); i++ {
		c := b[i] | 0x20
		if c != 'e' && c != 'f' && c != 'p' {
			continue
		}
		if i > 0 && isLetter(b[i-1]) {
			continue
		}
		rest := b[i:]
		if hasFoldPrefix(rest, "error") || hasFoldPrefix(rest, "fail") || hasFoldPrefix(rest, "fatal") ||
			hasFoldPrefix(rest, "panic") || hasFoldPrefix(rest, "exception") {
			return true
		}
	}
	return false
}

func isLetter(c byte) bool { c |= 0x20; return c >= 'a' && c <= 'z' }

func hasFoldPrefix(b []byte, lower string) bool {
	if len(b) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		if b[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// ring keeps the last cap lines in reused buffers.
type ring struct {
	n    []int
	text [][]byte
	next int
	full bool
}

func newRing(size int) *ring {
	return &ring{n: make([]int, size), text: make([][]byte, size)}
}

func (r *ring) push(n int, text []byte) {
	if len(r.n) == 0 {
		return
	}
	r.n[r.next] = n
	r.text[r.next] = append(r.text[r.next][:0], text...)
	r.next++
	if r.next == len(r.n) {
		r.next, r.full = 0, true
	}
}

// lines returns the kept lines, oldest first, as strings.
func (r *ring) lines() []LogLine {
	var out []LogLine
	add := func(i int) { out = append(out, LogLine{N: r.n[i], Text: string(r.text[i])}) }
	if r.full {
		for i := r.next; i < len(r.n); i++ {
			add(i)
		}
	}
	for i := 0; i < r.next; i++ {
		add(i)
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }
