package keys

import (
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

func TestOverrides(t *testing.T) {
	km, err := Default().WithOverrides(map[string][]string{"pause": {"ctrl+space", "f5"}, "accept_hunk": {"y"}})
	if err != nil {
		t.Fatal(err)
	}
	if !key.Matches(tea.KeyPressMsg{Code: tea.KeyF5}, km.Pause) {
		t.Fatal("f5 should pause")
	}
	if key.Matches(tea.KeyPressMsg{Code: 'p', Mod: tea.ModCtrl}, km.Pause) {
		t.Fatal("ctrl+p should no longer pause")
	}
	if km.Pause.Help().Key != "ctrl+space/f5" || km.Pause.Help().Desc == "" {
		t.Fatalf("help follows the keys: %+v", km.Pause.Help())
	}
	if Default().Pause.Help().Key != "ctrl+p" {
		t.Fatal("overrides must not change the default map")
	}
}

func TestOverrideErrors(t *testing.T) {
	if _, err := Default().WithOverrides(map[string][]string{"pauze": {"x"}}); err == nil || !strings.Contains(err.Error(), "pauze") {
		t.Fatalf("unknown action: %v", err)
	}
	if _, err := Default().WithOverrides(map[string][]string{"pause": nil}); err == nil {
		t.Fatal("empty keys should be an error")
	}
}

func TestEveryActionHasHelp(t *testing.T) {
	km := Default()
	for name, b := range km.bindings() {
		if len(b.Keys()) == 0 || b.Help().Desc == "" {
			t.Errorf("%s: keys %v help %+v", name, b.Keys(), b.Help())
		}
	}
}
