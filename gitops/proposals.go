package gitops

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
)

// ChangeKind says what happened to a file (mirrors session.ChangeKind).
type ChangeKind string

const (
	ChangeModified ChangeKind = "modified"
	ChangeAdded    ChangeKind = "added"
	ChangeDeleted  ChangeKind = "deleted"
	ChangeRenamed  ChangeKind = "renamed"
	ChangeMode     ChangeKind = "mode"
)

// HunkState mirrors session.HunkState.
type HunkState string

const (
	HunkProposed HunkState = "proposed"
	HunkAccepted HunkState = "accepted"
	HunkRejected HunkState = "rejected"
	HunkModified HunkState = "modified"
)

// Hunk mirrors session.Hunk. ID is derived from the path and the removed and
// added lines, so it survives decisions on other hunks and reopening.
type Hunk struct {
	ID       string
	OldStart int
	OldLines int
	NewStart int
	NewLines int
	Header   string
	// Lines are diff body lines starting with ' ', '+' or '-' (without "\n"),
	// each followed by `\ No newline at end of file` where that applies.
	Lines []string
	State HunkState
}

// FileChange mirrors session.FileChange: one file's pending proposal.
type FileChange struct {
	Path    string
	OldPath string
	Kind    ChangeKind
	Binary  bool
	OldMode string
	NewMode string
	Added   int
	Deleted int
	Hunks   []Hunk
	// Whole means decisions take the file as a unit (added, deleted, renamed,
	// binary, symlink and mode-only changes): deciding any of its hunks
	// decides the file.
	Whole    bool
	Language string
	// Uncertain: changed while a command ran without capture; reject and
	// undo leave its bytes alone (capture.go).
	Uncertain bool
}

// change is a FileChange with what decisions need to act on it.
type change struct {
	fc    FileChange
	ps    []*pathState // the path, or for a rename the old path then the new one
	hunks []textHunk
}

// Proposals lists the agent's pending changes, by file and hunk, sorted by
// path. Decided hunks are gone from it (see Decisions). Only paths the agent
// touched appear, whatever else differs from the baseline.
func (s *Session) Proposals(ctx context.Context) ([]FileChange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.changes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]FileChange, len(cs))
	for i, c := range cs {
		out[i] = c.fc
	}
	return out, nil
}

func (s *Session) changes(ctx context.Context) ([]*change, error) {
	s.computed.Add(1)
	var pending []*pathState
	var es []Entry
	for _, ps := range s.paths {
		if ps.Base != ps.Agent {
			pending = append(pending, ps)
			es = append(es, ps.Base, ps.Agent)
		}
	}
	if err := s.content(ctx, es...); err != nil {
		return nil, err
	}
	sort.Slice(pending, func(i, j int) bool { return pending[i].Path < pending[j].Path })
	var dels, adds []*pathState
	for _, ps := range pending {
		switch {
		case !ps.Agent.Exists():
			dels = append(dels, ps)
		case !ps.Base.Exists():
			adds = append(adds, ps)
		}
	}
	pairs := s.pairRenames(dels, adds)
	var cs []*change
	for _, ps := range pending {
		if old, ok := pairs[ps]; ok {
			cs = append(cs, s.describe(old, ps))
			continue
		}
		if isPaired(pairs, ps) {
			continue
		}
		cs = append(cs, s.describe(nil, ps))
	}
	return cs, nil
}

func isPaired(pairs map[*pathState]*pathState, ps *pathState) bool {
	for _, old := range pairs {
		if old == ps {
			return true
		}
	}
	return false
}

// pairRenames matches deleted with added paths: identical content first, then
// text files sharing at least half their lines. The map goes new → old.
func (s *Session) pairRenames(dels, adds []*pathState) map[*pathState]*pathState {
	pairs := map[*pathState]*pathState{}
	if len(dels) == 0 || len(adds) == 0 {
		return pairs
	}
	used := map[*pathState]bool{}
	for _, a := range adds {
		for _, d := range dels {
			if !used[d] && d.Base.OID == a.Agent.OID {
				pairs[a], used[d] = d, true
				break
			}
		}
	}
	if len(dels)*len(adds) > 400 {
		return pairs
	}
	for _, a := range adds {
		if _, ok := pairs[a]; ok {
			continue
		}
		na := s.blobs[a.Agent.OID]
		if isBinary(na) {
			continue
		}
		la := splitLines(na)
		for _, d := range dels {
			od := s.blobs[d.Base.OID]
			if used[d] || isBinary(od) {
				continue
			}
			ld := splitLines(od)
			same := len(ld) // old lines that survive into the new file
			for _, r := range diffRegions(ld, la) {
				same -= r.A1 - r.A0
			}
			if n := max(len(la), len(ld)); n > 0 && 2*same >= n {
				pairs[a], used[d] = d, true
				break
			}
		}
	}
	return pairs
}

// describe builds the change for a path, or for a rename from old.
func (s *Session) describe(old, ps *pathState) *change {
	from := ps.Base
	c := &change{ps: []*pathState{ps}}
	fc := &c.fc
	fc.Path = ps.Path
	if old != nil {
		from = old.Base
		c.ps = []*pathState{old, ps}
		fc.OldPath = old.Path
	}
	to := ps.Agent
	fc.OldMode, fc.NewMode = from.Mode, to.Mode
	a, b := s.blobs[from.OID], s.blobs[to.OID]
	switch {
	case old != nil:
		fc.Kind = ChangeRenamed
	case !from.Exists():
		fc.Kind = ChangeAdded
	case !to.Exists():
		fc.Kind = ChangeDeleted
	case from.OID == to.OID:
		fc.Kind = ChangeMode
	default:
		fc.Kind = ChangeModified
	}
	fc.Binary = isBinary(a) || isBinary(b) || from.Mode == "120000" || to.Mode == "120000"
	fc.Whole = fc.Kind != ChangeModified || fc.Binary
	fc.Language = language(ps.Path)
	fc.Uncertain = ps.Uncertain || (old != nil && old.Uncertain)
	if fc.Binary || from.OID == to.OID {
		return c
	}
	c.hunks = makeHunks(ps.Path, splitLines(a), splitLines(b))
	for _, h := range c.hunks {
		for _, r := range h.Regions {
			fc.Added += r.B1 - r.B0
			fc.Deleted += r.A1 - r.A0
		}
		fc.Hunks = append(fc.Hunks, h.public(HunkProposed))
	}
	return c
}

func (h textHunk) public(st HunkState) Hunk {
	return Hunk{ID: h.ID, OldStart: h.OldStart, OldLines: h.OldLines, NewStart: h.NewStart,
		NewLines: h.NewLines, Lines: h.Lines, State: st,
		Header: fmt.Sprintf("@@ -%d,%d +%d,%d @@", h.OldStart, h.OldLines, h.NewStart, h.NewLines)}
}

var languages = map[string]string{
	".go": "go", ".py": "python", ".js": "javascript", ".ts": "typescript", ".tsx": "tsx",
	".rb": "ruby", ".rs": "rust", ".java": "java", ".c": "c", ".h": "c", ".cc": "cpp",
	".cpp": "cpp", ".md": "markdown", ".yml": "yaml", ".yaml": "yaml", ".json": "json",
	".toml": "toml", ".sh": "bash", ".sql": "sql", ".html": "html", ".css": "css",
	".proto": "protobuf", ".kt": "kotlin", ".swift": "swift", ".php": "php",
}

// language is a highlighting hint from the file name.
func language(p string) string {
	base := path.Base(p)
	switch base {
	case "Makefile", "GNUmakefile":
		return "make"
	case "Dockerfile":
		return "docker"
	}
	return languages[strings.ToLower(path.Ext(base))]
}
