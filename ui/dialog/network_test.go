package dialog

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/keys"
	"gitlab.com/wend/wend/ui/styles"
)

// A command's network access is approved one command at a time: the dialog
// says the command wants the network and offers neither a step nor a prefix
// grant, even when the request carries a prefix.
func TestNetworkDialogSaysSoAndOffersNoLastingGrant(t *testing.T) {
	km := keys.Default()
	req := session.ApprovalRequest{Kind: session.ApproveNetwork, Tool: "run_command", Command: "go mod download", Prefix: "go mod",
		Detail: "This command asks for network access: run go mod download (runs sandboxed WITH the network: …)"}
	out := ansi.Strip(Approval(req, km, styles.New(true, false), 100, false, ""))
	for _, want := range []string{"network", "go mod download", "This command asks for network access"} {
		if !strings.Contains(out, want) {
			t.Errorf("dialog lacks %q:\n%s", want, out)
		}
	}
	if step := km.ApproveStep.Help().Desc; strings.Contains(out, step) {
		t.Errorf("a network request offers %q:\n%s", step, out)
	}
	if strings.Contains(out, "always allow") {
		t.Errorf("a network request offers a prefix grant:\n%s", out)
	}
}
