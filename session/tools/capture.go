package tools

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gitlab.com/wend/wend/internal/gitrun"
	"gitlab.com/wend/wend/internal/sandbox"
)

// Attribution of a command's changes. A sandboxed command runs on a
// capturing overlay of the repository (internal/sandbox.Capture): it sees
// the live tree plus its own writes, and its writes land apart. Afterwards
// mergeCapture applies exactly those writes to the real tree as the agent's
// (through the Workspace, so they are proposals), except where someone else
// changed the same path while the command ran: there the live file is kept,
// the command's version is saved beside the session, and the result says so.
// Edits the user saved to files the command never touched are never the
// agent's. Without capture (no sandbox), the snapshots before and after the
// command are all there is: what they credit is marked uncertain, and reject
// and undo leave those bytes alone (gitops/capture.go).

// exactWriter writes a file with exactly the given mode (a captured chmod +x,
// a symlink); gitops.Session and DirectWorkspace have it.
type exactWriter interface {
	WriteExact(ctx context.Context, path string, data []byte, mode fs.FileMode) error
}

// uncapturedRecorder credits an uncaptured command's changes as uncertain
// (gitops.Session).
type uncapturedRecorder interface {
	AfterUncapturedCommand(ctx context.Context) ([]string, error)
}

// conflictKeeper says where a command's version of a file the user changed
// meanwhile is kept (gitops.Session: <git dir>/wend/<id>/conflicts).
type conflictKeeper interface{ ConflictDir() string }

// Capture states of a Registry: whether commands here ran captured.
const (
	captureUnknown int32 = iota // no sandboxed command yet
	captureWorks
	captureBroken // the overlay failed once: snapshots from then on
)

// commandCapture is what runCommand needs for one command: a Capture when
// the command will run sandboxed and capture has not failed here, and
// whether the before-snapshot is still needed (no capture, or the first
// try, which may fall back).
func (r *Registry) commandCapture() (capt *sandbox.Capture, snapshot bool) {
	sb := r.cfg.Sandbox
	if sb == nil || sb.Available() != nil || r.capture.Load() == captureBroken {
		return nil, true
	}
	return &sandbox.Capture{}, r.capture.Load() == captureUnknown
}

// afterCommand records what the command changed: the captured writes when
// the capture was active, else the snapshot's (uncertain) credit. notes
// are lines for the command's result (conflicts kept, errors).
func (r *Registry) afterCommand(ctx context.Context, capt *sandbox.Capture) (changed []string, notes []string, err error) {
	if capt != nil {
		defer capt.Close()
		if capt.Active() {
			r.capture.Store(captureWorks)
			return r.mergeCapture(ctx, capt)
		}
		r.capture.Store(captureBroken)
	}
	if u, ok := r.ws.(uncapturedRecorder); ok {
		changed, err = u.AfterUncapturedCommand(ctx)
	} else {
		changed, err = r.ws.AfterCommand(ctx)
	}
	if err == nil && len(changed) > 0 {
		if _, ok := r.ws.(uncapturedRecorder); ok {
			notes = append(notes, "(wend could not keep this command's writes apart from edits made meanwhile: reject and undo will not remove these changes)")
		}
	}
	return changed, notes, err
}

// captureOp is one file the command wrote or removed.
type captureOp struct {
	path string
	del  bool
	mode fs.FileMode
	src  string // the captured file
}

// mergeCapture applies a command's captured changes to the real tree.
func (r *Registry) mergeCapture(ctx context.Context, capt *sandbox.Capture) (changed []string, notes []string, err error) {
	chs, err := capt.Changes()
	if err != nil {
		return nil, nil, err
	}
	written := map[string]bool{}
	for _, c := range chs {
		if !c.Delete && !c.Dir {
			written[c.Path] = true
		}
	}
	var ops []captureOp
	var newDirs, goneDirs []string
	for _, c := range chs {
		switch {
		case c.Delete:
			sub, isDir := r.liveFiles(c.Path)
			if isDir {
				goneDirs = append(goneDirs, c.Path)
			}
			for _, p := range sub {
				ops = append(ops, captureOp{path: p, del: true})
			}
		case c.Dir:
			newDirs = append(newDirs, c.Path)
			if !c.Opaque {
				continue
			}
			// The command replaced the directory: what the tree held there
			// and the command did not write again, it deleted.
			sub, _ := r.liveFiles(c.Path)
			for _, p := range sub {
				if !written[p] {
					ops = append(ops, captureOp{path: p, del: true})
				}
			}
		default:
			ops = append(ops, captureOp{path: c.Path, mode: c.Mode, src: c.Source})
		}
	}
	if len(ops) == 0 && len(newDirs) == 0 {
		return nil, nil, nil
	}
	ignored := r.gitIgnored(ctx, ops)
	direct := NewDirectWorkspace(r.realRoot) // ignored files stay out of the proposals, as with snapshots
	for _, d := range newDirs {
		if err := direct.mkdirAll(d); err != nil {
			notes = append(notes, fmt.Sprintf("(creating %s failed: %v)", d, err))
		}
	}
	stamp := time.Now().Format("20060102-150405.000")
	var errs []error
	for _, op := range ops {
		live := filepath.Join(r.realRoot, filepath.FromSlash(op.path))
		theirs, err := capt.ChangedSince(live)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var data []byte
		if !op.del {
			if data, err = readCaptured(op); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if theirs {
			notes = append(notes, r.keepTheirs(op, data, stamp))
			continue
		}
		if op.del {
			if _, err := os.Lstat(live); err != nil {
				continue // gone already
			}
		} else if sameAsLive(live, op.mode, data) {
			continue // copied up but not changed (touch, chmod to the same mode)
		}
		var ws Workspace = r.ws
		if ignored[op.path] {
			ws = direct
		}
		switch {
		case op.del:
			err = ws.Remove(ctx, op.path)
		default:
			if ew, ok := ws.(exactWriter); ok {
				err = ew.WriteExact(ctx, op.path, data, op.mode)
			} else {
				err = ws.WriteFile(ctx, op.path, data, op.mode.Perm())
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", op.path, err))
			continue
		}
		if !ignored[op.path] {
			changed = append(changed, op.path)
		}
	}
	// Directories the command removed, once emptied (a kept file keeps its
	// directory), deepest first.
	sort.Sort(sort.Reverse(sort.StringSlice(goneDirs)))
	for _, d := range goneDirs {
		_ = removeEmptyDirs(filepath.Join(r.realRoot, filepath.FromSlash(d)))
	}
	sort.Strings(changed)
	if len(errs) > 0 {
		err = fmt.Errorf("applying the command's changes: %w", errors.Join(errs...))
	}
	return changed, notes, err
}

// liveFiles lists the files (not directories) at or under rel in the real
// tree, with slashes; isDir says rel is a directory. .git and whatever an
// embedded repository holds are left out.
func (r *Registry) liveFiles(rel string) (files []string, isDir bool) {
	root := filepath.Join(r.realRoot, filepath.FromSlash(rel))
	fi, err := os.Lstat(root)
	if err != nil {
		return nil, false
	}
	if !fi.IsDir() {
		return []string{rel}, false
	}
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		sub, _ := filepath.Rel(r.realRoot, p)
		files = append(files, filepath.ToSlash(sub))
		return nil
	})
	return files, true
}

// gitIgnored reports which of ops' paths git ignores (untracked and matched
// by an ignore rule): build outputs, caches. `git check-ignore` answers for
// all of them in one process; outside a git repository nothing is ignored.
func (r *Registry) gitIgnored(ctx context.Context, ops []captureOp) map[string]bool {
	out := map[string]bool{}
	if len(ops) == 0 {
		return out
	}
	var in bytes.Buffer
	for _, op := range ops {
		in.WriteString(op.path)
		in.WriteByte(0)
	}
	b, _ := gitrun.Run(ctx, gitrun.Cmd{Dir: r.realRoot, Args: []string{"check-ignore", "-z", "--stdin"},
		Stdin: &in, ReadOnly: true, Env: gitrun.ParseEnv}) // exit 1: nothing ignored
	for _, p := range strings.Split(string(b), "\x00") {
		if p != "" {
			out[p] = true
		}
	}
	return out
}

// readCaptured reads a captured file's content (a symlink's target).
func readCaptured(op captureOp) ([]byte, error) {
	if op.mode&fs.ModeSymlink != 0 {
		t, err := os.Readlink(op.src)
		return []byte(t), err
	}
	return os.ReadFile(op.src)
}

// sameAsLive reports whether the live path already is the captured file.
func sameAsLive(live string, mode fs.FileMode, data []byte) bool {
	fi, err := os.Lstat(live)
	if err != nil || fi.Mode()&(fs.ModeType|fs.ModePerm) != mode {
		return false
	}
	if mode&fs.ModeSymlink != 0 {
		t, err := os.Readlink(live)
		return err == nil && t == string(data)
	}
	if fi.Size() != int64(len(data)) {
		return false
	}
	b, err := os.ReadFile(live)
	return err == nil && bytes.Equal(b, data)
}

// keepTheirs leaves a path someone changed while the command ran as it is,
// saves the command's version, and returns the line that says so.
func (r *Registry) keepTheirs(op captureOp, data []byte, stamp string) string {
	if op.del {
		return fmt.Sprintf("%s changed while the command ran; kept your version (the command deleted it).", op.path)
	}
	dir := filepath.Join(os.TempDir(), "wend-conflicts")
	if ck, ok := r.ws.(conflictKeeper); ok {
		dir = ck.ConflictDir()
	}
	dst := filepath.Join(dir, stamp, filepath.FromSlash(op.path))
	err := os.MkdirAll(filepath.Dir(dst), 0o700)
	if err == nil {
		if op.mode&fs.ModeSymlink != 0 {
			err = os.Symlink(string(data), dst)
		} else {
			err = os.WriteFile(dst, data, 0o600)
		}
	}
	if err != nil {
		return fmt.Sprintf("%s changed while the command ran; kept your version; the command's version could not be saved: %v", op.path, err)
	}
	return fmt.Sprintf("%s changed while the command ran; kept your version; the command's version is at %s", op.path, dst)
}

// removeEmptyDirs removes dir and the directories under it that are empty.
func removeEmptyDirs(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() {
			_ = removeEmptyDirs(filepath.Join(dir, e.Name()))
		}
	}
	return os.Remove(dir)
}

// WriteExact writes path with exactly mode (permission bits, or a symlink
// whose target is data), replacing what is there.
func (w *DirectWorkspace) WriteExact(ctx context.Context, path string, data []byte, mode fs.FileMode) error {
	if mode&fs.ModeSymlink == 0 {
		t, err := w.open()
		if err != nil {
			return err
		}
		if fi, err := t.Lstat(filepath.FromSlash(path)); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			_ = t.Remove(filepath.FromSlash(path)) // replaced by a file, not written through
		}
		if err := w.WriteFile(ctx, path, data, mode.Perm()); err != nil {
			return err
		}
		return escaped(path, t.Chmod(filepath.FromSlash(path), mode.Perm()))
	}
	t, err := w.open()
	if err != nil {
		return err
	}
	rel := filepath.FromSlash(path)
	if dir := filepath.Dir(rel); dir != "." {
		if err := t.MkdirAll(dir, 0o755); err != nil {
			return escaped(path, err)
		}
	}
	if err := t.Remove(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return escaped(path, err)
	}
	return escaped(path, t.Symlink(string(data), rel))
}

// mkdirAll creates a directory the command made (confined like the writes).
func (w *DirectWorkspace) mkdirAll(path string) error {
	t, err := w.open()
	if err != nil {
		return err
	}
	return escaped(path, t.MkdirAll(filepath.FromSlash(path), 0o755))
}
