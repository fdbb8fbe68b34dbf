package tools

import (
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"gitlab.com/wend/wend/context/repo"
	"gitlab.com/wend/wend/session"
)

// Some files steer wend itself, or hold what the user keeps from the agent. A
// write to one of them is a protected write: its Effect is EffectProtected, which
// every approval policy but read-only asks about, one call at a time, with a
// request that names the path and why (see session.ApproveProtected). Both
// engines judge calls through Registry.Effect, so the Duo engine is covered too.
// Git's own directory is stricter still: resolve refuses it outright (paths.go).

// protector holds the user's protections, compiled once.
type protector struct {
	globs    []protectedGlob
	dirs     []string // real, absolute
	realRoot string
}

type protectedGlob struct {
	pattern string
	glob    repo.Glob
}

func newProtector(cfg Config, realRoot string) (protector, error) {
	p := protector{realRoot: realRoot}
	for _, pat := range cfg.ProtectedPaths {
		// Matching ignores case, so .ENV cannot slip past ".env*" on a
		// case-insensitive file system.
		g, err := repo.CompileGlob(strings.ToLower(pat))
		if err != nil {
			return p, fmt.Errorf("tools: protected path %q: %w", pat, err)
		}
		p.globs = append(p.globs, protectedGlob{pattern: pat, glob: g})
	}
	for _, d := range cfg.ProtectedDirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			continue
		}
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
		p.dirs = append(p.dirs, abs)
	}
	return p, nil
}

// why says why the slash-separated repository path rel is protected, or "".
func (p protector) why(rel string) string {
	if rel == "" || rel == "." {
		return ""
	}
	// Every .wend.toml, not just the root one: a nested repository or a
	// subproject opened with -C reads its own, with the same power.
	if strings.EqualFold(path.Base(rel), ".wend.toml") {
		return "wend's repository config, which could send your API key to another host or loosen approvals"
	}
	abs := filepath.Join(p.realRoot, filepath.FromSlash(rel))
	for _, d := range p.dirs {
		if r, err := filepath.Rel(d, abs); err == nil && isLocal(r) {
			return "inside wend's user config directory " + d
		}
	}
	lower := strings.ToLower(rel)
	for _, g := range p.globs {
		// A directory's pattern protects what is under it: "secrets" covers
		// secrets/a/b as "secrets/**" does.
		for q := lower; q != "." && q != ""; q = path.Dir(q) {
			if g.glob.Match(q) {
				return fmt.Sprintf("protected by your protected_paths %q", g.pattern)
			}
		}
	}
	return ""
}

// writeProtection says why a write call's path is protected, or "". It checks
// the path as given and, when it resolves, the real path behind any symlink,
// so a link cannot reach a protected file under an innocent name.
func (r *Registry) writeProtection(call Call) string {
	var a struct {
		Path string `json:"path"`
	}
	if json.Unmarshal(call.Args, &a) != nil || strings.TrimSpace(a.Path) == "" {
		return ""
	}
	lexical := filepath.ToSlash(filepath.Clean(filepath.FromSlash(strings.TrimSpace(a.Path))))
	if why := r.protect.why(lexical); why != "" {
		return why
	}
	if t, err := r.resolve(a.Path); err == nil {
		return r.protect.why(t.Rel)
	}
	return ""
}

// describeProtected marks req, already described as a write, as a protected
// write of its path.
func (r *Registry) describeProtected(call Call, req *session.ApprovalRequest) {
	why := r.writeProtection(call)
	if why == "" {
		return
	}
	req.Kind = session.ApproveProtected
	req.Detail = fmt.Sprintf("PROTECTED: %s is %s. %s", req.Path, why, req.Detail)
}
