package gitops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// snapshot adds the whole working tree to the snapshot index and writes it as
// a tree. Ignored files stay out; tracked-but-ignored files stay in, as in
// `git status`.
func (s *Session) snapshot(ctx context.Context) (string, error) {
	if _, err := s.r.run(ctx, Git("-c", "advice.addEmbeddedRepo=false", "add", "-A").Index(s.snapIdx)); err != nil {
		return "", err
	}
	return s.writeSnapTree(ctx)
}

func (s *Session) writeSnapTree(ctx context.Context) (string, error) {
	id, err := s.r.writeIndexTree(s.snapIdx)
	if !errors.Is(err, errIndexFormat) {
		return id, err
	}
	out, err := s.r.run(ctx, Git("write-tree").Index(s.snapIdx))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// flush brings the snapshot index up to the agent's recorded versions, so the
// next command is compared against what the agent (and gitops) last wrote.
func (s *Session) flush(ctx context.Context) error {
	if len(s.dirty) == 0 {
		return nil
	}
	set := make(map[string]Entry, len(s.dirty))
	for p := range s.dirty {
		set[p] = s.paths[p].Agent
	}
	if err := s.r.updateIndex(ctx, s.snapIdx, set); err != nil {
		return err
	}
	clear(s.dirty)
	return nil
}

// checkPath refuses paths that are not plain, clean and relative to the root.
// (Confinement against symlinks is session/tools' job.)
func checkPath(p string) error {
	if p == "" || !filepath.IsLocal(p) || filepath.Clean(p) != p {
		return fmt.Errorf("gitops: %q is not a clean path inside the repository", p)
	}
	for _, part := range strings.Split(p, "/") {
		if strings.EqualFold(part, ".git") {
			return fmt.Errorf("gitops: %q is inside .git", p)
		}
	}
	return nil
}

// WriteFile is the agent writing a file. The write is recorded as a proposal
// (durably) before the file is replaced atomically. An existing file keeps
// its mode and its exact permission bits (0600 stays 0600); perm only decides
// whether a new file is executable, and the umask applies to it. The first
// write to a path records the file's permission, which reject and undo put
// back. If the user
// edited the file since the agent's previous write, their edit is folded into
// the baseline first, so it is not shown as the agent's.
func (s *Session) WriteFile(ctx context.Context, path string, data []byte, perm fs.FileMode) error {
	mode := "100644"
	if perm&0o111 != 0 {
		mode = "100755"
	}
	return s.agentWrite(ctx, path, mode, data)
}

// Remove is the agent deleting a file, recorded like WriteFile.
func (s *Session) Remove(ctx context.Context, path string) error {
	return s.agentWrite(ctx, path, "", nil)
}

func (s *Session) agentWrite(ctx context.Context, path, mode string, data []byte) error {
	return s.agentWriteExact(ctx, path, mode, data, 0)
}

// agentWriteExact is agentWrite; a non-zero exactPerm writes mode and that
// permission whatever the file has now (WriteExact, capture.go).
func (s *Session) agentWriteExact(ctx context.Context, path, mode string, data []byte, exactPerm fs.FileMode) error {
	if err := checkPath(path); err != nil {
		return err
	}
	end, err := s.begin(ctx, "recording an agent write")
	if err != nil {
		return err
	}
	defer end()
	curMode, cur, curPerm, err := s.r.readDisk(path)
	if err != nil {
		return err
	}
	if mode == "" && curMode == "" {
		return fmt.Errorf("gitops: remove %q: %w", path, fs.ErrNotExist)
	}
	perm := exactPerm // zero: a new file's default
	if mode != "" && exactPerm == 0 && (curMode == "100644" || curMode == "100755") {
		mode, perm = curMode, curPerm
	}
	ps, touched := s.paths[path]
	modes, contents := []string{}, [][]byte{}
	if mode != "" {
		modes, contents = append(modes, mode), append(contents, data)
	}
	if touched {
		cp := *ps // s.paths changes only once the write is done
		ps = &cp
		if err := s.content(ctx, ps.Agent); err != nil {
			return err
		}
	}
	curKnown := touched && curMode == ps.Agent.Mode && (curMode == "" || bytes.Equal(cur, s.blobs[ps.Agent.OID]))
	if curMode != "" && !curKnown {
		modes, contents = append(modes, curMode), append(contents, cur)
	}
	es, err := s.newBlobs(ctx, modes, contents)
	if err != nil {
		return err
	}
	var next, curE Entry
	if mode != "" {
		next, es = es[0], es[1:]
	}
	switch {
	case curKnown:
		curE = ps.Agent
	case curMode != "":
		curE = es[0]
	}
	if !touched {
		ps = &pathState{Path: path, Orig: curE, Base: curE, OrigPerm: origPerm(curMode, curPerm)}
	} else if err := s.rebase(ctx, ps, curE); err != nil {
		return err
	} else if !curKnown && ps.Orig == curE {
		// The user's version became the baseline: so does its permission.
		ps.OrigPerm = origPerm(curMode, curPerm)
	}
	ps.Agent = next
	// Crash-atomic (recover.go): the intent names the temporary file, so a
	// crash before the rename is finished or undone on the next open, and
	// never leaves a proposal the file does not hold.
	op := &intentOp{Agent: true, Disk: []diskChange{{Path: path, Old: curE, New: next, Perm: perm, OldPerm: curPerm}}}
	if mode != "" {
		op.Tmp = s.r.newTmpName()
	}
	in := &record{Kind: "intent", Paths: []pathState{*ps}, Op: op}
	if err := s.persist(ctx, *in); err != nil {
		return err
	}
	s.r.crashPoint("intent")
	if err := s.r.writeDiskVia(path, mode, data, perm, op.Tmp); err != nil {
		return s.abortIntent(ctx, in, fmt.Errorf("gitops: write %q: %w", path, err))
	}
	s.r.crashPoint("disk")
	if err := s.j.appendDone(); err != nil {
		s.pending = in
		return err
	}
	s.paths[path] = ps
	s.dirty[path] = true
	return nil
}

// rebase folds a change the user made to a touched path (the agent's version
// became cur) into Orig and Base, so the proposal Base → Agent keeps showing
// only the agent's work. Where the user edited lines the agent had changed,
// the user's lines cannot be separated from the agent's hunk: they stay in it.
// Binary files, and files the user deleted or recreated, take the user's
// version as the new baseline.
func (s *Session) rebase(ctx context.Context, ps *pathState, cur Entry) error {
	if cur == ps.Agent {
		return nil
	}
	if !cur.Exists() || !ps.Agent.Exists() {
		ps.Orig, ps.Base = cur, cur
		return nil
	}
	if !ps.Base.Exists() {
		return nil // the agent created the file: the user's edit joins that proposal
	}
	if err := s.content(ctx, cur, ps.Agent, ps.Base, ps.Orig); err != nil {
		return err
	}
	ca, cc := s.blobs[ps.Agent.OID], s.blobs[cur.OID]
	if isBinary(ca) || isBinary(cc) || isBinary(s.blobs[ps.Base.OID]) || !ps.Orig.Exists() || isBinary(s.blobs[ps.Orig.OID]) {
		ps.Orig, ps.Base = cur, cur
		return nil
	}
	la, lc := splitLines(ca), splitLines(cc)
	nb := joinLines(transferKeep(la, splitLines(s.blobs[ps.Base.OID]), lc))
	no := joinLines(transferKeep(la, splitLines(s.blobs[ps.Orig.OID]), lc))
	bm, om := ps.Base.Mode, ps.Orig.Mode
	if cur.Mode != ps.Agent.Mode {
		bm, om = cur.Mode, cur.Mode
	}
	es, err := s.newBlobs(ctx, []string{bm, om}, [][]byte{nb, no})
	if err != nil {
		return err
	}
	ps.Base, ps.Orig = es[0], es[1]
	return nil
}

// BeforeCommand snapshots the working tree just before an agent command, so
// that AfterCommand attributes to the command only what changed while it ran.
// Without it, AfterCommand compares against the previous snapshot and the
// user's edits in between would count as the command's. run_command calls it
// through session/tools.Workspace.
func (s *Session) BeforeCommand(ctx context.Context) error {
	end, err := s.begin(ctx, "taking a snapshot")
	if err != nil {
		return err
	}
	defer end()
	if err := s.flush(ctx); err != nil {
		return err
	}
	pre, err := s.snapshot(ctx)
	s.preTree = pre
	return err
}

// AfterCommand snapshots the working tree after an agent command and records
// every path that changed since the pre-command snapshot as the agent's
// (formatters, generators, `git mv`). It returns those paths, sorted.
// Submodule (gitlink) changes are not proposals.
func (s *Session) AfterCommand(ctx context.Context) ([]string, error) {
	return s.afterCommand(ctx, false)
}

// afterCommand is AfterCommand; uncertain marks what it credits Uncertain
// (AfterUncapturedCommand, capture.go).
func (s *Session) afterCommand(ctx context.Context, uncertain bool) ([]string, error) {
	end, err := s.begin(ctx, "taking a snapshot")
	if err != nil {
		return nil, err
	}
	defer end()
	pre := s.preTree
	s.preTree = ""
	if pre == "" || len(s.dirty) > 0 {
		if err := s.flush(ctx); err != nil {
			return nil, err
		}
		var err error
		if pre, err = s.writeSnapTree(ctx); err != nil {
			return nil, err
		}
	}
	if _, err := s.r.run(ctx, Git("-c", "advice.addEmbeddedRepo=false", "add", "-A").Index(s.snapIdx)); err != nil {
		return nil, err
	}
	diff, err := s.r.indexDiff(ctx, s.snapIdx, pre)
	if err != nil {
		return nil, err
	}
	var changed []string
	var recs []pathState
	var held map[string]bool
	if len(diff) > 0 {
		held = s.othersHold()
	}
	for p, d := range diff {
		before, after := d[0], d[1]
		if before.Mode == "160000" || after.Mode == "160000" {
			continue
		}
		if held[p] {
			continue // another open session's change: the user's, for this one (attribution.go)
		}
		ps, touched := s.paths[p]
		if !touched {
			ps = &pathState{Path: p, Orig: before, Base: before}
		} else {
			if after == ps.Agent {
				continue
			}
			if err := s.rebase(ctx, ps, before); err != nil {
				return nil, err
			}
		}
		ps.Agent = after
		ps.Uncertain = ps.Uncertain || uncertain
		s.paths[p] = ps
		changed = append(changed, p)
		recs = append(recs, *ps)
	}
	sort.Strings(changed)
	slices.SortFunc(recs, func(a, b pathState) int { return strings.Compare(a.Path, b.Path) })
	if len(recs) > 0 {
		if err := s.persist(ctx, record{Kind: "paths", Paths: recs}); err != nil {
			return nil, err
		}
	}
	return changed, nil
}
