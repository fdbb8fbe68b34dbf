package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/ui/uitest"
)

// The help overlay fits the area it is given and shows every group of keys, from
// a narrow main area beside the plan panel to a wide terminal.
func TestHelpOverlayFitsAndShowsEveryGroup(t *testing.T) {
	m := New(uitest.NewBackend(), Options{})
	for _, size := range [][2]int{{100, 30}, {100, 24}, {120, 18}, {80, 20}, {150, 40}, {60, 24}} {
		out := m.helpView(size[0], size[1])
		for i, line := range strings.Split(out, "\n") {
			if w := ansi.StringWidth(line); w > size[0] {
				t.Errorf("%dx%d: line %d is %d wide: %q", size[0], size[1], i, w, ansi.Strip(line))
			}
		}
		plain := ansi.Strip(out)
		for _, g := range m.km.Groups() {
			if size[0] >= 80 && !strings.Contains(plain, g.Title) {
				t.Errorf("%dx%d: group %q is missing:\n%s", size[0], size[1], g.Title, plain)
			}
			if size[0] < 100 {
				continue
			}
			// Wide enough: no description is cut to a stub.
			for _, b := range g.Bindings {
				d := b.Help().Desc
				if len(d) > 12 {
					d = d[:12]
				}
				if b.Enabled() && !strings.Contains(plain, d) {
					t.Errorf("%dx%d: %q is cut off:\n%s", size[0], size[1], b.Help().Desc, plain)
				}
			}
		}
	}
}
