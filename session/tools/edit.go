package tools

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
)

// readTracker remembers, per confined path, the hash of the content the agent last
// read or wrote. A write is allowed only when the disk still holds that content:
// the agent never overwrites a version it has not seen (DESIGN.md: "a file the user
// changed on disk since the agent read it is never overwritten silently").
type readTracker struct {
	mu   sync.Mutex
	seen map[string][sha256.Size]byte
}

func newReadTracker() *readTracker {
	return &readTracker{seen: map[string][sha256.Size]byte{}}
}

func (t *readTracker) remember(rel string, data []byte) {
	t.mu.Lock()
	t.seen[rel] = sha256.Sum256(data)
	t.mu.Unlock()
}

// check returns nil when current is what the agent last saw of rel.
func (t *readTracker) check(rel string, current []byte) error {
	t.mu.Lock()
	h, ok := t.seen[rel]
	t.mu.Unlock()
	if !ok {
		return fmt.Errorf("you have not read %s yet; read it with read_file before changing it", rel)
	}
	if h != sha256.Sum256(current) {
		return fmt.Errorf("%s changed on disk since you read it (by the user or a command); read it again with read_file, then retry", rel)
	}
	return nil
}

// MarkRead records content as seen by the agent, as if read_file had returned it.
// The engine uses it for files it put into the model's context itself (an
// @file reference), so the model may edit them without reading them again.
func (r *Registry) MarkRead(path string, content []byte) error {
	t, err := r.resolve(path)
	if err != nil {
		return err
	}
	r.reads.remember(t.Rel, content)
	return nil
}

// editFile implements edit_file: one exact replacement (or all with replace_all)
// in a file the agent has read and that has not changed since.
func (r *Registry) editFile(ctx context.Context, raw json.RawMessage) Result {
	var a struct {
		Path       string `json:"path"`
		OldString  string `json:"old_string"`
		NewString  string `json:"new_string"`
		ReplaceAll bool   `json:"replace_all"`
	}
	if res := r.decode(ToolEditFile, raw, &a); res != nil {
		return *res
	}
	t, err := r.resolve(a.Path)
	if err != nil {
		return errResult(ToolEditFile, err)
	}
	if a.OldString == "" {
		return failf("edit_file %s: old_string is empty", t.Rel).withOutput(
			"old_string is empty. To replace a whole file use create_file; to insert text, put the neighbouring lines in old_string and new_string.")
	}
	if a.OldString == a.NewString {
		return failf("edit_file %s: old_string equals new_string", t.Rel).withOutput(
			"old_string and new_string are identical, so there is nothing to change.")
	}
	data, res := r.readRegular(ToolEditFile, t)
	if res != nil {
		return *res
	}
	if err := r.reads.check(t.Rel, data); err != nil {
		return errResult(ToolEditFile, err)
	}
	content := string(data)
	n := strings.Count(content, a.OldString)
	if n == 0 && strings.Contains(content, "\r\n") && !strings.Contains(a.OldString, "\r") {
		// read_file shows CRLF lines without the \r, so the model's text has bare
		// newlines; match and write in the file's own line endings.
		crlf := strings.ReplaceAll(a.OldString, "\n", "\r\n")
		if m := strings.Count(content, crlf); m > 0 {
			a.OldString, a.NewString, n = crlf, strings.ReplaceAll(a.NewString, "\n", "\r\n"), m
		}
	}
	switch {
	case n == 0:
		hint := ""
		if strings.Contains(content, strings.TrimSpace(a.OldString)) || containsIgnoringIndent(content, a.OldString) {
			hint = " Text like it exists with different whitespace or indentation: copy it exactly from read_file's output (without the line numbers)."
		}
		return failf("edit_file %s: old_string not found", t.Rel).withOutput(
			"old_string was not found in %s. It must match exactly, including whitespace and indentation.%s", t.Rel, hint)
	case n > 1 && !a.ReplaceAll:
		return failf("edit_file %s: old_string found %d times", t.Rel, n).withOutput(
			"old_string was found %d times in %s (at lines %s). Include more surrounding lines in old_string so it matches exactly once, "+
				"or set replace_all to true to replace every occurrence.", n, t.Rel, matchLines(content, a.OldString, 10))
	}
	firstLine := strings.Count(content[:strings.Index(content, a.OldString)], "\n") + 1
	var updated string
	if a.ReplaceAll {
		updated = strings.ReplaceAll(content, a.OldString, a.NewString)
	} else {
		updated = strings.Replace(content, a.OldString, a.NewString, 1)
	}
	if err := r.write(ctx, t, []byte(updated)); err != nil {
		return failf("edit_file %s: %v", t.Rel, err)
	}
	oldLines, newLines := lineCount(a.OldString), lineCount(a.NewString)
	what := fmt.Sprintf("replaced %s at line %d", plural(oldLines, "line"), firstLine)
	if n > 1 {
		what = fmt.Sprintf("replaced %s (first at line %d)", plural(n, "occurrence"), firstLine)
	}
	return Result{
		Output:  fmt.Sprintf("Edited %s: %s with %s.", t.Rel, what, plural(newLines, "line")),
		Summary: fmt.Sprintf("edit %s: -%d +%d lines", t.Rel, oldLines*n, newLines*n),
		Changed: []string{t.Rel},
	}
}

// createFile implements create_file. Overwriting needs the same prior read as
// edit_file; a new file needs nothing.
func (r *Registry) createFile(ctx context.Context, raw json.RawMessage) Result {
	var a struct {
		Path    string `json:"path"`
		Content string `json:"content"`
	}
	if res := r.decode(ToolCreateFile, raw, &a); res != nil {
		return *res
	}
	t, err := r.resolve(a.Path)
	if err != nil {
		return errResult(ToolCreateFile, err)
	}
	verb := "Created"
	fi, err := r.statTarget(t)
	switch {
	case err == nil && fi.IsDir():
		return failf("create_file: %s is a directory", t.Rel)
	case err == nil:
		data, res := r.readRegular(ToolCreateFile, t)
		if res != nil {
			return *res
		}
		if err := r.reads.check(t.Rel, data); err != nil {
			return errResult(ToolCreateFile, fmt.Errorf("%s exists: %w", t.Rel, err))
		}
		verb = "Overwrote"
	case !errors.Is(err, fs.ErrNotExist):
		return failf("create_file %s: %v", t.Rel, err)
	}
	if err := r.write(ctx, t, []byte(a.Content)); err != nil {
		return failf("create_file %s: %v", t.Rel, err)
	}
	lines := lineCount(a.Content)
	return Result{
		Output:  fmt.Sprintf("%s %s (%s).", verb, t.Rel, plural(lines, "line")),
		Summary: fmt.Sprintf("%s %s: %s", strings.ToLower(verb), t.Rel, plural(lines, "line")),
		Changed: []string{t.Rel},
	}
}

// write sends data through the Workspace, keeping an existing file's mode, and
// records it as seen so the agent can edit its own result again.
func (r *Registry) write(ctx context.Context, t target, data []byte) error {
	perm := fs.FileMode(0o644)
	if fi, err := r.statTarget(t); err == nil {
		perm = fi.Mode().Perm()
	}
	if err := r.ws.WriteFile(ctx, t.Rel, data, perm); err != nil {
		return err
	}
	r.reads.remember(t.Rel, data)
	r.repo.Invalidate()
	return nil
}

func lineCount(s string) int {
	if s == "" {
		return 0
	}
	n := strings.Count(s, "\n")
	if !strings.HasSuffix(s, "\n") {
		n++
	}
	return n
}

// matchLines lists the 1-based line numbers where sub starts, at most max of them.
func matchLines(content, sub string, max int) string {
	var out []string
	off := 0
	for len(out) < max {
		i := strings.Index(content[off:], sub)
		if i < 0 {
			break
		}
		out = append(out, fmt.Sprint(strings.Count(content[:off+i], "\n")+1))
		off += i + max1(len(sub))
	}
	s := strings.Join(out, ", ")
	if strings.Count(content, sub) > max {
		s += ", …"
	}
	return s
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

// containsIgnoringIndent reports whether every line of sub, trimmed, appears in
// order on consecutive lines of content, also trimmed: the usual near miss.
func containsIgnoringIndent(content, sub string) bool {
	want := strings.Split(strings.TrimSpace(sub), "\n")
	lines := strings.Split(content, "\n")
	for i := 0; i+len(want) <= len(lines); i++ {
		ok := true
		for j, w := range want {
			if strings.TrimSpace(lines[i+j]) != strings.TrimSpace(w) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
