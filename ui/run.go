package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"gitlab.com/wend/wend/session"
)

// Run runs the UI on the terminal until the user quits or ctx ends. NO_COLOR in
// the environment is honoured even when opts.NoColor is unset.
func Run(ctx context.Context, be session.Backend, opts Options) error {
	if os.Getenv("NO_COLOR") != "" {
		opts.NoColor = true
	}
	if asciiTerminal(os.Getenv) {
		opts.ASCII = true
	}
	if os.Getenv("TMUX") != "" {
		opts.Tmux = true
	}
	if opts.WorkDir == "" {
		opts.WorkDir = checkoutRoot()
	}
	m := New(be, opts)
	m.ctx = ctx
	m.review.SetContext(ctx)
	// The renderer wakes on every frame tick even when nothing changed (Bubble Tea
	// cannot pause its ticker), and that is all wend costs at idle: measured over
	// 10 s idle at 120x40, 0.06 s of CPU at 20 frames a second, 0.035 s at 15.
	// Markdown renders at most ~15 times a second anyway, so 15 frames show every
	// render, and a typed key echoes within 67 ms (33 ms on average).
	//
	// The colour profile is the one lipgloss detected for stdout at init. Left to
	// itself Bubble Tea detects it again, and inside tmux detection runs `tmux
	// info` (about 50 ms on a loaded machine) before the first frame.
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithFPS(15), tea.WithColorProfile(lipgloss.Writer.Profile))
	_, err := p.Run()
	if rest := m.InlineRest(); rest != "" {
		// Inline: what was not printed yet goes after the scrollback, once.
		fmt.Fprint(os.Stdout, rest)
	}
	if after := m.AfterQuit(); after != "" && err == nil {
		fmt.Fprint(os.Stdout, after)
	}
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// asciiTerminal reports whether to avoid glyphs beyond the common ones:
// WEND_ASCII=1 asks for it, and a locale that is not UTF-8 cannot show them.
// The locale is the first of LC_ALL, LC_CTYPE and LANG that is set (POSIX order).
func asciiTerminal(getenv func(string) string) bool {
	if v := getenv("WEND_ASCII"); v != "" && v != "0" {
		return true
	}
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := getenv(k); v != "" {
			v = strings.ToLower(v)
			return !strings.Contains(v, "utf-8") && !strings.Contains(v, "utf8")
		}
	}
	return false // nothing set: assume a modern terminal rather than C
}

// checkoutRoot is the nearest directory up from the current one holding .git
// (where the tools run commands), else the current directory; "" when unknown.
func checkoutRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		up := filepath.Dir(d)
		if up == d {
			return wd
		}
		d = up
	}
}
