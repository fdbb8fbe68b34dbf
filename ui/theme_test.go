package ui

import (
	"image/color"
	"math"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"gitlab.com/wend/wend/ui/styles"
	"gitlab.com/wend/wend/ui/uitest"
)

// On a light background the input's cursor, drawn over the placeholder's first
// letter, must not be light grey on white: the letter vanished.
func TestLightPlaceholderFirstLetterShows(t *testing.T) {
	m := New(uitest.NewBackend(), Options{Light: true})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	v := m.View().Content
	i := strings.Index(v, "escribe a task")
	if i < 0 {
		t.Fatalf("no placeholder in %q", v)
	}
	before := v[max(i-40, 0):i]
	if strings.Contains(before, "[7;37m") || strings.Contains(before, "37;7m") || strings.Contains(before, "38;5;7;7m") || strings.Contains(before, "7;38;5;7m") {
		t.Fatalf("the cursor over the first letter is reversed light grey (invisible on a light background): %q", before)
	}
}

// luminance is the WCAG relative luminance of c.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// On a dark terminal a removed line's background stands out from the
// terminal's black at least as much as an added line's does (it was the
// fainter of the two, and removed lines read as unmarked).
func TestDarkDiffMarksRemovedLines(t *testing.T) {
	st := styles.New(true, false)
	contrast := func(c color.Color) float64 { return (luminance(c) + 0.05) / 0.05 }
	del, add := contrast(st.DiffDelBG), contrast(st.DiffAddBG)
	if del < add || del < 1.5 {
		t.Fatalf("removed-line background contrast %.2f against black (added lines %.2f): too faint", del, add)
	}
}
