package status

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"gitlab.com/wend/wend/ui/styles"
)

func TestRenderGolden(t *testing.T) {
	info := Info{Repo: "gitlab-org/wend", Branch: "fix-login", Model: "claude-sonnet-4-5", State: "running",
		Spinner: "⣾", InTokens: 12345, OutTokens: 2345, CostUSD: 0.1234, Elapsed: 3*time.Minute + 7*time.Second}
	for _, dark := range []bool{true, false} {
		for _, w := range []int{40, 80, 120} {
			t.Run(fmt.Sprintf("%v/%d", map[bool]string{true: "dark", false: "light"}[dark], w), func(t *testing.T) {
				out := Render(info, styles.New(dark, false), w)
				if got := ansi.StringWidth(out); got != w {
					t.Fatalf("width %d, want %d", got, w)
				}
				golden.RequireEqual(t, out)
			})
		}
	}
}

func TestHintWins(t *testing.T) {
	out := ansi.Strip(Render(Info{Repo: "r", State: "idle", Hint: "press ctrl+c again to quit"}, styles.New(true, false), 40))
	if want := " press ctrl+c again to quit"; out[:len(want)] != want {
		t.Fatalf("got %q", out)
	}
}

// In ASCII mode (fonts without ⎇, non-UTF-8 locales) the bar names the branch
// with plain letters.
func TestASCIIBranch(t *testing.T) {
	i := Info{Repo: "acme/shop", Branch: "fix-login", State: "idle", ASCII: true}
	out := ansi.Strip(Render(i, styles.New(true, true), 80))
	if strings.Contains(out, "⎇") || !strings.Contains(out, "acme/shop on fix-login") {
		t.Fatalf("got %q", out)
	}
}
