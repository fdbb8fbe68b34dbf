package repo

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Glob is a compiled path pattern with doublestar syntax (`*`, `?`, `[a-z]`,
// `{a,b}`, and `**` for any number of directories).
//
// A pattern without a slash matches file names in any directory (`*.go` finds every
// Go file, as in .gitignore and ripgrep), because that is what models and people
// mean by it; a pattern with a slash matches the whole path from the root
// (`cmd/*.go` only finds files directly in cmd).
type Glob struct {
	pattern  string
	baseName bool
}

// CompileGlob validates pattern. A leading "./" or "/" is dropped.
func CompileGlob(pattern string) (Glob, error) {
	p := strings.TrimSpace(pattern)
	p = strings.TrimPrefix(p, "./")
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return Glob{}, fmt.Errorf("empty glob pattern")
	}
	if !doublestar.ValidatePattern(p) {
		return Glob{}, fmt.Errorf("invalid glob pattern %q", pattern)
	}
	return Glob{pattern: p, baseName: !strings.Contains(p, "/")}, nil
}

// Match reports whether the slash-separated repository path matches.
func (g Glob) Match(p string) bool {
	if g.baseName {
		p = path.Base(p)
	}
	// The pattern was validated, so the error is always nil.
	ok, _ := doublestar.Match(g.pattern, p)
	return ok
}

// Glob returns the files git knows that match pattern (see Glob for the rules), in
// sorted order.
func (r *Repo) Glob(ctx context.Context, pattern string) ([]string, error) {
	g, err := CompileGlob(pattern)
	if err != nil {
		return nil, err
	}
	files, err := r.Files(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		if g.Match(f) {
			out = append(out, f)
		}
	}
	return out, nil
}
