package cli

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"gitlab.com/wend/wend/ui"
)

// The terminal preferences in the config (mouse, notify, ascii) and --inline
// reach the UI, with where commands run and whether tmux carries the
// notifications (issue 16: the keys existed in ui.Options, nothing set them).
func TestUIPreferencesReachTheUI(t *testing.T) {
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	cfg := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(cfg, []byte("mouse = true\nnotify = \"bell\"\nascii = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("TMUX", "/tmp/tmux-1000/default,1,0")
	g := &globals{dir: dir, configFile: cfg, inline: true, stderr: os.Stderr, env: func(string) string { return "" },
		changed: func(name string) bool { return name == "inline" }}
	ws, err := g.openWorkspace(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var opts ui.Options
	uiPrefs(&opts, ws)
	root, _ := filepath.EvalSymlinks(dir)
	got, _ := filepath.EvalSymlinks(opts.WorkDir)
	if !opts.Mouse || opts.Notify != "bell" || !opts.ASCII || !opts.Inline || !opts.Tmux || got != root {
		t.Fatalf("options: mouse %v notify %q ascii %v inline %v tmux %v workdir %q (want %q)",
			opts.Mouse, opts.Notify, opts.ASCII, opts.Inline, opts.Tmux, opts.WorkDir, root)
	}
}
