package repo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
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

// grepGo scans the listed files with a worker pool. Each file is first matched as
// a whole, so the common case (no match) costs one regexp pass; matching files are
// then split into lines. Results are assembled in path order.
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
	per := make([][]Match, len(files))
	counts := make([]int, len(files))
	// Workers write disjoint slots, so no locking is needed; each keeps at most
	// MaxMatches per file, which is all the caller can use.
	workers := runtime.GOMAXPROCS(0)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte // reused across this worker's files
			for i := range next {
				per[i], counts[i], buf = grepFile(filepath.Join(r.root, filepath.FromSlash(files[i])), files[i], re, o, buf)
			}
		}()
	}
loop:
	for i := range files {
		select {
		case next <- i:
		case <-ctx.Done():
			break loop
		}
	}
	close(next)
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

// binarySniff is how much of a file is checked for NUL bytes (as git and rg do).
const binarySniff = 8000

// IsBinary reports whether data looks binary: a NUL byte in its first 8000 bytes.
func IsBinary(data []byte) bool {
	if len(data) > binarySniff {
		data = data[:binarySniff]
	}
	return bytes.IndexByte(data, 0) >= 0
}

// grepFile returns the file's matches (at most MaxMatches), their count, and buf,
// grown if needed, for the next file.
func grepFile(abs, rel string, re *regexp.Regexp, o GrepOptions, buf []byte) ([]Match, int, []byte) {
	f, err := os.Open(abs)
	if err != nil {
		return nil, 0, buf
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		// A directory (submodule) or a device.
		return nil, 0, buf
	}
	if lfi, err := os.Lstat(abs); err != nil || lfi.Mode()&os.ModeSymlink != 0 {
		// rg does not follow symlinks either.
		return nil, 0, buf
	}
	if n := int(fi.Size()) + 1; cap(buf) < n {
		buf = make([]byte, 0, n)
	}
	data := buf[:0]
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF || (err == nil && n == 0) {
			break
		}
		if err != nil {
			return nil, 0, buf
		}
		if len(data) == cap(data) {
			// The file grew since Stat.
			data = append(data, 0)[:len(data)]
		}
	}
	buf = data
	if IsBinary(data) || !re.Match(data) {
		return nil, 0, buf
	}
	var out []Match
	count := 0
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if re.Match(line) {
			count++
			if len(out) < o.MaxMatches {
				out = append(out, Match{Path: rel, Line: n, Text: cutLine(line, o.MaxLineLen)})
			}
		}
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
