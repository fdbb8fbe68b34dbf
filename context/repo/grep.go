package repo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"unicode/utf8"
)

// Grep defaults.
const (
	DefaultMaxMatches = 200
	DefaultMaxLineLen = 300
)

// GrepOptions says what to search for and where.
type GrepOptions struct {
	// Pattern is a regular expression (RE2 syntax, which ripgrep also accepts).
	Pattern string
	// Path limits the search to a file or directory, relative to the root.
	Path string
	// Glob limits the search to matching files (see Glob for the rules).
	Glob            string
	CaseInsensitive bool
	// MaxMatches caps the matches returned; the rest are only counted.
	MaxMatches int
	// MaxLineLen cuts long matching lines (minified code) to this many bytes.
	MaxLineLen int
	// NoRipgrep forces the Go search even when rg is on PATH.
	NoRipgrep bool
}

// Match is one matching line.
type Match struct {
	Path string // relative to the root, forward slashes
	Line int    // 1-based
	Text string // without the newline, possibly cut to MaxLineLen
}

// String renders the match as path:line:text.
func (m Match) String() string { return m.Path + ":" + strconv.Itoa(m.Line) + ":" + m.Text }

// GrepResult holds the first MaxMatches matches in path order and the total count.
type GrepResult struct {
	Matches []Match
	// Total counts every matching line; Total-len(Matches) were cut.
	Total int
	// Engine is "rg" or "go".
	Engine string
}

// Grep searches the files git knows. With rg on PATH it runs ripgrep (hidden files
// included, .gitignore respected); otherwise, or with NoRipgrep,
// it scans the git file list with Go's regexp in parallel. Both skip binary files
// and give the same matches for the same files.
func (r *Repo) Grep(ctx context.Context, o GrepOptions) (GrepResult, error) {
	if o.MaxMatches <= 0 {
		o.MaxMatches = DefaultMaxMatches
	}
	if o.MaxLineLen <= 0 {
		o.MaxLineLen = DefaultMaxLineLen
	}
	expr := o.Pattern
	if o.CaseInsensitive {
		expr = "(?i)" + expr
	}
	// Compile in Go for both engines so a bad pattern gets the same message.
	re, err := regexp.Compile(expr)
	if err != nil {
		return GrepResult{}, fmt.Errorf("invalid regular expression: %w", err)
	}
	var glob *Glob
	if o.Glob != "" {
		g, err := CompileGlob(o.Glob)
		if err != nil {
			return GrepResult{}, err
		}
		glob = &g
	}
	scope := strings.Trim(filepath.ToSlash(filepath.Clean(o.Path)), "/")
	if scope == "." {
		scope = ""
	}
	if !o.NoRipgrep {
		if rg, err := exec.LookPath("rg"); err == nil {
			return r.grepRipgrep(ctx, rg, o, scope, glob)
		}
	}
	return r.grepGo(ctx, re, o, scope, glob)
}

func inScope(p, scope string) bool {
	return scope == "" || p == scope || strings.HasPrefix(p, scope+"/")
}

// rgCollect bounds how many matches are kept from rg's unordered output before
// sorting; beyond it matches are only counted.
const rgCollect = 20000

// grepRipgrep streams rg's output and counts every match. rg runs in parallel, so
// its order is arbitrary (--sort path would make it single-threaded): up to
// rgCollect matches are kept, sorted by path and line, and cut to MaxMatches. The
// result is deterministic unless more than rgCollect lines match. --null puts a
// NUL after the path, so paths containing ':' parse correctly.
func (r *Repo) grepRipgrep(ctx context.Context, rg string, o GrepOptions, scope string, glob *Glob) (GrepResult, error) {
	args := []string{"--no-config", "--no-heading", "--with-filename", "--line-number", "--null", "--color", "never",
		"--hidden", "--glob", "!.git", "--no-messages"}
	if o.CaseInsensitive {
		args = append(args, "--ignore-case")
	}
	args = append(args, "-e", o.Pattern)
	if scope != "" {
		args = append(args, "--", scope)
	}
	cmd := exec.CommandContext(ctx, rg, args...)
	cmd.Dir = r.root
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return GrepResult{}, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return GrepResult{}, err
	}
	res := GrepResult{Engine: "rg"}
	br := bufio.NewReaderSize(stdout, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A very long line: keep its start, skip the rest.
			head := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			line = head
		}
		if len(line) > 0 {
			r.addRipgrepLine(&res, line, o, glob)
		}
		if err != nil {
			break
		}
	}
	werr := cmd.Wait()
	var exit *exec.ExitError
	switch {
	case werr == nil:
	case errors.As(werr, &exit) && exit.ExitCode() == 1:
		// 1 means no matches.
	default:
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		return res, fmt.Errorf("rg: %v: %s", werr, strings.TrimSpace(stderr.String()))
	}
	sort.Slice(res.Matches, func(i, j int) bool {
		a, b := res.Matches[i], res.Matches[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Line < b.Line
	})
	if len(res.Matches) > o.MaxMatches {
		res.Matches = res.Matches[:o.MaxMatches]
	}
	return res, nil
}

func (r *Repo) addRipgrepLine(res *GrepResult, line []byte, o GrepOptions, glob *Glob) {
	line = bytes.TrimRight(line, "\r\n")
	nul := bytes.IndexByte(line, 0)
	if nul < 0 {
		return
	}
	p := filepath.ToSlash(string(line[:nul]))
	p = strings.TrimPrefix(p, "./")
	rest := line[nul+1:]
	colon := bytes.IndexByte(rest, ':')
	if colon < 0 {
		return
	}
	n, err := strconv.Atoi(string(rest[:colon]))
	if err != nil {
		return
	}
	if glob != nil && !glob.Match(p) {
		return
	}
	res.Total++
	if len(res.Matches) < max(rgCollect, o.MaxMatches) {
		res.Matches = append(res.Matches, Match{Path: p, Line: n, Text: cutLine(rest[colon+1:], o.MaxLineLen)})
	}
}

// grepGo scans the listed files with a worker pool. Each file is first tested as
// a whole (the common case, no match, costs one pass: a literal the pattern cannot
// match without, or the pattern in multi-line mode); only files that pass are split
// into lines, and with a literal only the lines holding it are tried. Results are
// assembled in path order.
func (r *Repo) grepGo(ctx context.Context, re *regexp.Regexp, o GrepOptions, scope string, glob *Glob) (GrepResult, error) {
	all, err := r.Files(ctx)
	if err != nil {
		return GrepResult{}, err
	}
	var files []string
	for _, f := range all {
		if inScope(f, scope) && (glob == nil || glob.Match(f)) {
			files = append(files, f)
		}
	}
	m := newLineMatcher(re)
	per := make([][]Match, len(files))
	counts := make([]int, len(files))
	// Workers write disjoint slots, so no locking is needed; each keeps at most
	// MaxMatches per file, which is all the caller can use. Workers take files in
	// blocks through an atomic counter: a channel send per file costs more than
	// opening a small file.
	workers := runtime.GOMAXPROCS(0)
	var next atomic.Int64
	const block = 16
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte // reused across this worker's files
			for ctx.Err() == nil {
				start := int(next.Add(block)) - block
				if start >= len(files) {
					return
				}
				for i := start; i < min(start+block, len(files)); i++ {
					per[i], counts[i], buf = grepFile(filepath.Join(r.root, filepath.FromSlash(files[i])), files[i], m, o, buf)
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return GrepResult{}, err
	}
	res := GrepResult{Engine: "go"}
	for i := range files {
		res.Total += counts[i]
		for _, m := range per[i] {
			if len(res.Matches) >= o.MaxMatches {
				break
			}
			res.Matches = append(res.Matches, m)
		}
	}
	return res, nil
}

// lineMatcher is a pattern prepared for a line-oriented search of whole files.
type lineMatcher struct {
	re *regexp.Regexp // matched against one line, without its newline
	// lit is a string every match contains (nil when there is none, e.g. with
	// case folding). A file without it is skipped with one bytes.Index, and only
	// the lines that hold it are matched: what makes a literal search as fast as
	// reading the files.
	lit []byte
	// whole is re in multi-line mode (^ and $ at line ends), matched against a whole
	// file to reject it in one pass when there is no literal; nil when that could
	// miss a line's match (\A, \z).
	whole *regexp.Regexp
}

func newLineMatcher(re *regexp.Regexp) *lineMatcher {
	m := &lineMatcher{re: re}
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return m
	}
	tree = tree.Simplify()
	if lit := requiredLiteral(tree); len(lit) > 0 && !strings.ContainsAny(lit, "\r\n") {
		m.lit = []byte(lit)
	}
	if !hasTextAnchor(tree) {
		m.whole, _ = regexp.Compile("(?m)" + re.String())
	}
	return m
}

// requiredLiteral returns the longest case-sensitive literal that every match of
// re contains, or "".
func requiredLiteral(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return ""
		}
		return string(re.Rune)
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiteral(re.Sub[0])
		}
	case syntax.OpConcat:
		best := ""
		for _, sub := range re.Sub {
			if l := requiredLiteral(sub); len(l) > len(best) {
				best = l
			}
		}
		return best
	}
	return ""
}

func hasTextAnchor(re *syntax.Regexp) bool {
	if re.Op == syntax.OpBeginText || re.Op == syntax.OpEndText {
		return true
	}
	for _, sub := range re.Sub {
		if hasTextAnchor(sub) {
			return true
		}
	}
	return false
}

// mayMatch is the whole-file test: false means no line of data can match.
func (m *lineMatcher) mayMatch(data []byte) bool {
	switch {
	case m.lit != nil:
		return bytes.Contains(data, m.lit)
	case m.whole != nil && bytes.IndexByte(data, '\r') < 0:
		// With a CR before a newline, "x$" matches the line (the CR is cut) but
		// not the multi-line text, so such files go line by line.
		return m.whole.Match(data)
	}
	return true
}

// binarySniff is how much of a file is checked for NUL bytes (as git and rg do).
const binarySniff = 8000

// IsBinary reports whether data looks binary: a NUL byte in its first 8000 bytes.
func IsBinary(data []byte) bool {
	if len(data) > binarySniff {
		data = data[:binarySniff]
	}
	return bytes.IndexByte(data, 0) >= 0
}

// readRegular reads a regular file into buf (grown if needed) with four system
// calls: open, fstat, read, close. os.OpenFile costs twice that on Linux (it
// tries to register every file with the network poller: two fcntl and an
// epoll_ctl), which a CPU profile of a 100,000-file search showed as a fifth of
// its time. O_NOFOLLOW: rg does not follow symlinks either. O_NONBLOCK: opening
// a FIFO must not wait for a writer (fstat then says it is not a regular file);
// it changes nothing for a regular file.
func readRegular(abs string, buf []byte) ([]byte, bool) {
	fd, err := syscall.Open(abs, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		return buf, false
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		// A directory (submodule) or a device.
		return buf, false
	}
	if n := int(st.Size) + 1; cap(buf) < n {
		buf = make([]byte, 0, n)
	}
	data := buf[:0]
	for {
		n, err := syscall.Read(fd, data[len(data):cap(data)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return data, false
		}
		if n == 0 {
			return data, true
		}
		data = data[:len(data)+n]
		if len(data) == cap(data) {
			// The file grew since fstat.
			data = append(data, 0)[:len(data)]
		}
	}
}

// grepFile returns the file's matches (at most MaxMatches), their count, and buf,
// grown if needed, for the next file.
func grepFile(abs, rel string, m *lineMatcher, o GrepOptions, buf []byte) ([]Match, int, []byte) {
	data, ok := readRegular(abs, buf)
	buf = data // grown or not, kept for the next file
	if !ok {
		return nil, 0, buf
	}
	if IsBinary(data) || !m.mayMatch(data) {
		return nil, 0, buf
	}
	var out []Match
	count := 0
	line, pos := 1, 0 // pos is where line starts in data
	for pos < len(data) {
		if m.lit != nil {
			// Jump to the next line holding the literal.
			j := bytes.Index(data[pos:], m.lit)
			if j < 0 {
				break
			}
			start := pos + bytes.LastIndexByte(data[pos:pos+j], '\n') + 1
			line += bytes.Count(data[pos:start], []byte{'\n'})
			pos = start
		}
		end := len(data)
		if i := bytes.IndexByte(data[pos:], '\n'); i >= 0 {
			end = pos + i
		}
		text := bytes.TrimSuffix(data[pos:end], []byte{'\r'})
		if m.re.Match(text) {
			count++
			if len(out) < o.MaxMatches {
				out = append(out, Match{Path: rel, Line: line, Text: cutLine(text, o.MaxLineLen)})
			}
		}
		line++
		pos = end + 1
	}
	return out, count, buf
}

// cutLine shortens b to at most max bytes on a rune boundary, saying how much was cut.
func cutLine(b []byte, max int) string {
	b = bytes.TrimRight(b, "\r\n")
	if len(b) <= max {
		return string(b)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + fmt.Sprintf(" [… %d more bytes]", len(b)-cut)
}
