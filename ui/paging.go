package ui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"gitlab.com/wend/wend/session"
)

// History reads a session's recorded events by sequence range (the session's
// store, in process or across the host's socket): the transcript keeps a
// bounded window of entries and pages the rest of the record from here as the
// user scrolls (ui/transcript/window.go).
type History interface {
	EventRange(ctx context.Context, from, to int64) ([]session.Event, error)
}

// pageMsg: a page of the record the transcript asked for.
type pageMsg struct {
	from, to int64
	events   []session.Event
	err      error
}

// pages is the port pages come from: Options.History, else the backend
// when it can read its own record (the host's client can), else none.
func (m *Model) pages() History {
	if m.opts.History != nil {
		return m.opts.History
	}
	if h, ok := m.be.(History); ok {
		return h
	}
	return nil
}

// loadPage asks for the page the transcript's window needs, if any.
func (m *Model) loadPage() tea.Cmd {
	h := m.pages()
	if h == nil {
		return nil
	}
	from, to, ok := m.tr.Want()
	if !ok {
		return nil
	}
	ctx := m.ctx
	return func() tea.Msg {
		evs, err := h.EventRange(ctx, from, to)
		return pageMsg{from: from, to: to, events: evs, err: err}
	}
}

// onPage replays a page's events through the same code the live stream takes
// (onEvent, on a scratch model that only lends its transcript) and stitches
// the entries into the window.
func (m *Model) onPage(msg pageMsg) tea.Cmd {
	if msg.err != nil {
		if m.tr.Failed() {
			m.tr.AddNotice("error", "reading the session's record for the transcript: "+msg.err.Error())
		}
		return nil
	}
	s := New(nil, Options{Keys: m.opts.Keys, NoColor: m.opts.NoColor, Clock: m.opts.Clock})
	s.km, s.st = m.km, m.st
	s.tr = m.tr.Fork(msg.from)
	for _, e := range msg.events {
		if e.Seq < msg.from || e.Seq > msg.to {
			continue // not what was asked: a store must not widen the page
		}
		s.tr.Begin(e.Seq)
		s.onEvent(e) // commands dropped: the scratch model renders and asks nothing
		s.tr.End()
	}
	ok, cmd := m.tr.Stitch(&s.tr, msg.from, msg.to)
	if !ok {
		return m.loadPage()
	}
	return tea.Batch(cmd, m.loadPage())
}

// scrollBy scrolls the transcript and pages in what the view comes near.
func (m *Model) scrollBy(n int) tea.Cmd {
	return tea.Batch(m.tr.ScrollBy(n), m.loadPage())
}

// toEnd scrolls back to the end (the newest event), paging the window there.
func (m *Model) toEnd() tea.Cmd {
	return tea.Batch(m.tr.ToEnd(), m.loadPage())
}
