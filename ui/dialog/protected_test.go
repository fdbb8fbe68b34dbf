package dialog

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/keys"
	"gitlab.com/wend/wend/ui/styles"
)

// A protected write is approved one write at a time: the dialog names the path
// and why, and offers no "for this step" grant.
func TestProtectedWriteDialogNamesPathAndOffersNoStepGrant(t *testing.T) {
	km := keys.Default()
	req := session.ApprovalRequest{Kind: session.ApproveProtected, Tool: "create_file", Path: ".wend.toml",
		Detail: "PROTECTED: .wend.toml is wend's repository config. create .wend.toml (1 line)"}
	out := ansi.Strip(Approval(req, km, styles.New(true, false), 100, false, ""))
	for _, want := range []string{"protected file", ".wend.toml", "wend's repository config"} {
		if !strings.Contains(out, want) {
			t.Errorf("dialog lacks %q:\n%s", want, out)
		}
	}
	if step := km.ApproveStep.Help().Desc; strings.Contains(out, step) {
		t.Errorf("a protected write offers %q:\n%s", step, out)
	}
}
