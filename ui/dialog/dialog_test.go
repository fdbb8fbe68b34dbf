package dialog

import (
	"fmt"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/keys"
	"gitlab.com/wend/wend/ui/styles"
)

func TestApprovalGolden(t *testing.T) {
	req := session.ApprovalRequest{ID: "r1", Kind: session.ApproveCommand, Tool: "run_command", StepID: "2",
		Command: "go test ./auth/... -run TestLogin -count=1", Prefix: "go test", Detail: "runs the auth tests"}
	for _, dark := range []bool{true, false} {
		for _, w := range []int{40, 80, 120} {
			t.Run(fmt.Sprintf("%v/%d", map[bool]string{true: "dark", false: "light"}[dark], w), func(t *testing.T) {
				out := Approval(req, keys.Default(), styles.New(dark, false), w, false, "")
				for _, l := range splitLines(out) {
					if ansi.StringWidth(l) > w {
						t.Fatalf("line wider than %d: %q", w, l)
					}
				}
				golden.RequireEqual(t, out)
			})
		}
	}
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
