package tools

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// DirectWorkspace writes straight to the working tree, recording nothing. It
// stands in until the staging layer (gitops) provides a Workspace that records
// proposals; AfterCommand therefore reports no changes. Like the tools' reads,
// its writes go through an *os.Root on the root (confine.go), so a directory
// swapped for a symlink after the path was checked cannot send them elsewhere.
type DirectWorkspace struct {
	root string
	mu   sync.Mutex
	tree *os.Root // opened on first use
}

// NewDirectWorkspace returns a Workspace writing under root.
func NewDirectWorkspace(root string) *DirectWorkspace { return &DirectWorkspace{root: root} }

func (w *DirectWorkspace) open() (*os.Root, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.tree == nil {
		t, err := openTree(w.root)
		if err != nil {
			return nil, err
		}
		w.tree = t
	}
	return w.tree, nil
}

// WriteFile creates parent directories as needed and replaces the file's
// content in place; an existing file keeps its permission, a new one gets perm
// under the umask.
func (w *DirectWorkspace) WriteFile(_ context.Context, path string, data []byte, perm fs.FileMode) error {
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
	return escaped(path, t.WriteFile(rel, data, perm))
}

// Remove deletes the file; a file already gone is not an error.
func (w *DirectWorkspace) Remove(_ context.Context, path string) error {
	t, err := w.open()
	if err != nil {
		return err
	}
	err = t.Remove(filepath.FromSlash(path))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	return escaped(path, err)
}

// BeforeCommand does nothing: DirectWorkspace does not track the tree.
func (w *DirectWorkspace) BeforeCommand(context.Context) error { return nil }

// AfterCommand reports nothing: DirectWorkspace does not track the tree.
func (w *DirectWorkspace) AfterCommand(context.Context) ([]string, error) { return nil, nil }
