package repo

import (
	"bytes"
	"context"
	"slices"
)

// FileIndex returns the `@` picker's index. Once built it answers at once: when
// the listing may be stale (older than the TTL, or git's index changed) it is
// refreshed in the background and a later key gets the new index, so a keystroke
// never waits for `git ls-files` (about 150 ms on 100,000 files, well over the
// 20 ms a key may cost). The index is rebuilt only when the listing's content
// changed, so the picker keeps narrowing its previous answer while the user types.
func (r *Repo) FileIndex(ctx context.Context) (*FileIndex, error) {
	r.pickMu.Lock()
	ix := r.pick
	if ix != nil && !r.refreshing && r.mayBeStale() {
		r.refreshing = true
		go r.refreshPick()
	}
	r.pickMu.Unlock()
	if ix != nil {
		return ix, nil
	}
	return r.Index(ctx, nil)
}

// mayBeStale reports whether the cached listing has expired. A listing running
// right now (r.mu held) counts as fresh: the key must not wait for it, and what
// it lists reaches the picker through the next refresh.
func (r *Repo) mayBeStale() bool {
	if !r.mu.TryLock() {
		return false
	}
	defer r.mu.Unlock()
	ok, _, _ := r.fresh()
	return !ok
}

// refreshPick lists the files again and swaps the picker's index when they
// changed. An error keeps the old index: the picker is a convenience.
func (r *Repo) refreshPick() {
	files, err := r.Files(context.Background())
	r.pickMu.Lock()
	defer r.pickMu.Unlock()
	r.refreshing = false
	if err == nil && (r.pick == nil || !slices.Equal(r.pick.paths, files)) {
		r.pick = NewFileIndex(files)
	}
}

// Index lists the files, calling progress (when not nil) with the number of
// paths git has listed so far, and builds the picker's index. The UI runs it in
// the background from the first frame, so the first `@` finds the index ready
// and the status bar can say how far the listing got.
func (r *Repo) Index(ctx context.Context, progress func(listed int)) (*FileIndex, error) {
	files, err := r.listFiles(ctx, progress)
	if err != nil {
		return nil, err
	}
	r.pickMu.Lock()
	defer r.pickMu.Unlock()
	if r.pick == nil || !slices.Equal(r.pick.paths, files) {
		r.pick = NewFileIndex(files)
	}
	return r.pick, nil
}

// gitStream is gitBytes calling progress, after each write git makes, with the
// number of NUL-terminated records it has printed so far.
func gitStream(ctx context.Context, dir string, progress func(int), args ...string) ([]byte, error) {
	if progress == nil {
		return gitBytes(ctx, dir, args...)
	}
	w := &countingWriter{buf: make([]byte, 0, 1<<20), progress: progress}
	_, err := gitExec(ctx, dir, w, args)
	return w.buf, err
}

// countingWriter keeps git's output and counts its records as they arrive.
type countingWriter struct {
	buf      []byte
	records  int
	progress func(int)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	w.records += bytes.Count(p, []byte{0})
	w.progress(w.records)
	return len(p), nil
}
