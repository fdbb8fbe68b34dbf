package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"gitlab.com/wend/wend/context/repo"
)

const (
	defaultReadLines = 2000
	// maxLineBytes cuts single long lines (minified code, data) in read_file.
	maxLineBytes = 2000
	// maxReadFileBytes refuses files too large to read whole: read_file hashes the
	// whole file to notice later changes.
	maxReadFileBytes = 20 << 20
)

// readFile implements read_file: numbered lines like `cat -n`, paged by offset and
// limit and by the output cap. It records the file's hash, which edit_file and
// create_file later compare against the disk.
func (r *Registry) readFile(_ context.Context, raw json.RawMessage) Result {
	var a struct {
		Path   string `json:"path"`
		Offset int    `json:"offset"`
		Limit  int    `json:"limit"`
	}
	if res := r.decode(ToolReadFile, raw, &a); res != nil {
		return *res
	}
	t, err := r.resolve(a.Path)
	if err != nil {
		return errResult(ToolReadFile, err)
	}
	data, res := r.readRegular(ToolReadFile, t)
	if res != nil {
		return *res
	}
	if repo.IsBinary(data) {
		return failf("read_file %s: binary file refused", t.Rel).withOutput(
			"%s is a binary file (it has NUL bytes); read_file only reads text. "+
				"If you must inspect it, use run_command with e.g. `file %s` or `xxd %s | head`.", t.Rel, t.Rel, t.Rel)
	}
	r.reads.remember(t.Rel, data)
	if len(data) == 0 {
		return Result{Output: fmt.Sprintf("%s is empty.", t.Rel), Summary: fmt.Sprintf("read %s: empty", t.Rel)}
	}

	text := strings.TrimSuffix(string(data), "\n")
	lines := strings.Split(text, "\n")
	total := len(lines)
	if a.Offset < 0 || a.Limit < 0 {
		return failf("read_file %s: negative offset or limit", t.Rel).withOutput(
			"offset and limit must be positive (offset is the first line to read, 1-based; %s has %s).", t.Rel, plural(total, "line"))
	}
	start := max(a.Offset, 1)
	if start > total {
		return failf("read_file %s: offset past the end", t.Rel).withOutput(
			"offset %d is past the end of %s, which has %s.", start, t.Rel, plural(total, "line"))
	}
	limit := a.Limit
	if limit == 0 {
		limit = defaultReadLines
	}
	end := min(start-1+limit, total) // last line shown, 1-based

	var b strings.Builder
	budget := r.cfg.MaxOutputBytes - 200 // room for the footer
	for n := start; n <= end; n++ {
		line := strings.TrimSuffix(lines[n-1], "\r")
		if len(line) > maxLineBytes {
			line = fmt.Sprintf("%s… [line cut: %d more bytes]", trimToRuneStart(line[:maxLineBytes]), len(line)-maxLineBytes)
		}
		entry := fmt.Sprintf("%6d\t%s\n", n, line)
		if b.Len()+len(entry) > budget && n > start {
			end = n - 1
			break
		}
		b.WriteString(entry)
	}
	if end < total {
		fmt.Fprintf(&b, "\n[Showing lines %d-%d of %d. Call read_file with offset %d to read more.]\n", start, end, total, end+1)
	}
	return Result{Output: b.String(), Summary: fmt.Sprintf("read %s: lines %d-%d of %d", t.Rel, start, end, total)}
}

// findFiles implements find_files over the git file list.
func (r *Registry) findFiles(ctx context.Context, raw json.RawMessage) Result {
	var a struct {
		Pattern string `json:"pattern"`
	}
	if res := r.decode(ToolFindFiles, raw, &a); res != nil {
		return *res
	}
	files, err := r.repo.Glob(ctx, a.Pattern)
	if err != nil {
		return failf("find_files: %v", err).withOutput(
			"%v. Use glob syntax: * (any characters but /), ** (any directories), ?, [abc], {a,b}; e.g. \"**/*_test.go\".", err)
	}
	if len(files) == 0 {
		return Result{
			Output:  fmt.Sprintf("No files match %q. A pattern without \"/\" matches file names in any directory; with \"/\" it matches from the root.", a.Pattern),
			Summary: fmt.Sprintf("find_files %s: no files", a.Pattern),
		}
	}
	var b strings.Builder
	shown := 0
	for _, f := range files {
		if b.Len()+len(f)+1 > r.cfg.MaxOutputBytes-100 {
			break
		}
		b.WriteString(f)
		b.WriteByte('\n')
		shown++
	}
	if rest := len(files) - shown; rest > 0 {
		fmt.Fprintf(&b, "[… %s more not shown; use a narrower pattern]\n", plural(rest, "file"))
	}
	return Result{Output: b.String(), Summary: fmt.Sprintf("find_files %s: %s", a.Pattern, plural(len(files), "file"))}
}

// grep implements grep through context/repo (ripgrep or the Go fallback).
func (r *Registry) grep(ctx context.Context, raw json.RawMessage) Result {
	var a struct {
		Pattern         string `json:"pattern"`
		Path            string `json:"path"`
		Glob            string `json:"glob"`
		CaseInsensitive bool   `json:"case_insensitive"`
	}
	if res := r.decode(ToolGrep, raw, &a); res != nil {
		return *res
	}
	scope := ""
	if strings.TrimSpace(a.Path) != "" {
		t, err := r.resolve(a.Path)
		if err != nil {
			return errResult(ToolGrep, err)
		}
		if _, err := r.statTarget(t); err != nil {
			return failf("grep: %s does not exist", t.Rel)
		}
		if t.Rel != "." {
			scope = t.Rel
		}
	}
	res, err := r.repo.Grep(ctx, repo.GrepOptions{
		Pattern: a.Pattern, Path: scope, Glob: a.Glob, CaseInsensitive: a.CaseInsensitive, NoRipgrep: r.cfg.NoRipgrep,
	})
	if err != nil {
		return failf("grep: %v", err).withOutput("%v. The pattern is a regular expression (RE2 syntax); escape ( [ { . * + ? with \\ to match them literally.", err)
	}
	if res.Total == 0 {
		return Result{Output: fmt.Sprintf("No matches for %q.", a.Pattern), Summary: fmt.Sprintf("grep %s: no matches", shorten(a.Pattern, 40))}
	}
	var b strings.Builder
	shown := 0
	for _, m := range res.Matches {
		line := m.String()
		if b.Len()+len(line)+1 > r.cfg.MaxOutputBytes-120 {
			break
		}
		b.WriteString(line)
		b.WriteByte('\n')
		shown++
	}
	if rest := res.Total - shown; rest > 0 {
		fmt.Fprintf(&b, "[… %s more not shown; narrow the pattern, path or glob]\n", plural(rest, "match"))
	}
	return Result{Output: b.String(), Summary: fmt.Sprintf("grep %s: %s", shorten(a.Pattern, 40), plural(res.Total, "match"))}
}
