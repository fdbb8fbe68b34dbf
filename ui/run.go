package ui

import (
	"context"
	"errors"
	"os"

	tea "charm.land/bubbletea/v2"

	"gitlab.com/wend/wend/session"
)

// Run runs the UI on the terminal until the user quits or ctx ends. NO_COLOR in
// the environment is honoured even when opts.NoColor is unset.
func Run(ctx context.Context, be session.Backend, opts Options) error {
	if os.Getenv("NO_COLOR") != "" {
		opts.NoColor = true
	}
	m := New(be, opts)
	m.ctx = ctx
	// The renderer wakes on every frame tick even when nothing changed, and that is
	// all wend costs at idle. Markdown renders at most ~15 times a second anyway, so
	// 20 frames a second shows every render while keeping idle wake-ups low (a key
	// echoes within 50 ms).
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithFPS(20))
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}
