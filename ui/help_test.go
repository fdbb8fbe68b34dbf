package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/ui/uitest"
)

// The help overlay fits the screen it is given, page by page, and across its
// pages shows every binding of every group whole: no description cut short, no
// group split across columns when the terminal is big enough to avoid it.
func TestHelpOverlayFitsAndShowsEveryGroup(t *testing.T) {
	m := New(uitest.NewBackend(), Options{})
	for _, size := range [][2]int{{80, 24}, {100, 30}, {100, 24}, {120, 18}, {80, 20}, {120, 40}, {150, 40}, {60, 24}} {
		pages := m.helpPages(size[0], size[1])
		var plain []string
		for p, page := range pages {
			lines := strings.Split(page, "\n")
			if len(lines) > size[1] {
				t.Errorf("%dx%d: page %d has %d lines", size[0], size[1], p, len(lines))
			}
			for i, line := range lines {
				if w := ansi.StringWidth(line); w > size[0] {
					t.Errorf("%dx%d: page %d line %d is %d wide: %q", size[0], size[1], p, i, w, ansi.Strip(line))
				}
			}
			plain = append(plain, ansi.Strip(page))
		}
		all := strings.Join(plain, "\n")
		for _, g := range m.km.Groups() {
			if !strings.Contains(all, g.Title) {
				t.Errorf("%dx%d: group %q is missing:\n%s", size[0], size[1], g.Title, all)
			}
			if size[0] < 80 {
				continue
			}
			for _, b := range g.Bindings {
				if b.Enabled() && !strings.Contains(all, b.Help().Desc) {
					t.Errorf("%dx%d: %q is cut off:\n%s", size[0], size[1], b.Help().Desc, all)
				}
			}
		}
		if size[0] >= 120 && size[1] >= 40 {
			if len(pages) != 1 {
				t.Errorf("%dx%d: %d pages, want all on one", size[0], size[1], len(pages))
			}
			checkGroupsWhole(t, m, plain[0], size)
		}
	}
}

// checkGroupsWhole: each group's bindings sit right under its title, in the
// title's column.
func checkGroupsWhole(t *testing.T, m *Model, page string, size [2]int) {
	t.Helper()
	lines := strings.Split(page, "\n")
	for _, g := range m.km.Groups() {
		row, col := -1, -1
		for i, l := range lines {
			if c := strings.Index(l, g.Title+" "); c >= 0 || strings.HasSuffix(l, g.Title) {
				if c < 0 {
					c = len(l) - len(g.Title)
				}
				row, col = i, ansi.StringWidth(l[:c])
				break
			}
		}
		if row < 0 {
			t.Errorf("%dx%d: no title %q", size[0], size[1], g.Title)
			continue
		}
		for j, b := range g.Bindings {
			i := row + 1 + j
			if i >= len(lines) {
				t.Errorf("%dx%d: group %q split: %q not under its title:\n%s", size[0], size[1], g.Title, b.Help().Desc, page)
				break
			}
			cell := ansi.Cut(lines[i], col, size[0])
			if !strings.HasPrefix(cell, b.Help().Key) {
				t.Errorf("%dx%d: group %q split: row %d at column %d is %q, want %q:\n%s", size[0], size[1], g.Title, i, col, cell, b.Help().Key, page)
				break
			}
		}
	}
}

// At 80 columns the hint line still offers the review and the help.
func TestKeyHintsKeepReviewAndHelpAt80(t *testing.T) {
	m := New(uitest.NewBackend(), Options{})
	h := ansi.Strip(m.keyHints(80))
	for _, want := range []string{"ctrl+r review changes", "? help"} {
		if !strings.Contains(h, want) {
			t.Errorf("hints %q lack %q", h, want)
		}
	}
	if w := ansi.StringWidth(h); w > 80 {
		t.Errorf("hints are %d wide", w)
	}
}
