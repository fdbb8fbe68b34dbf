package tools

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
)

// DirectWorkspace writes straight to the working tree, recording nothing. It
// stands in until the staging layer (gitops) provides a Workspace that records
// proposals; AfterCommand therefore reports no changes.
type DirectWorkspace struct {
	root string
}

// NewDirectWorkspace returns a Workspace writing under root.
func NewDirectWorkspace(root string) *DirectWorkspace { return &DirectWorkspace{root: root} }

// WriteFile creates parent directories as needed and replaces the file's content.
func (w *DirectWorkspace) WriteFile(_ context.Context, path string, data []byte, perm fs.FileMode) error {
	abs := filepath.Join(w.root, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return err
	}
	return os.WriteFile(abs, data, perm)
}

// Remove deletes the file; a file already gone is not an error.
func (w *DirectWorkspace) Remove(_ context.Context, path string) error {
	err := os.Remove(filepath.Join(w.root, filepath.FromSlash(path)))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

// BeforeCommand does nothing: DirectWorkspace does not track the tree.
func (w *DirectWorkspace) BeforeCommand(context.Context) error { return nil }

// AfterCommand reports nothing: DirectWorkspace does not track the tree.
func (w *DirectWorkspace) AfterCommand(context.Context) ([]string, error) { return nil, nil }
