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
	// 30 frames a second is smoother than the 15 markdown renders a second, and
	// halves the renderer's idle wake-ups (it compares frames on every tick).
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithFPS(30))
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}
