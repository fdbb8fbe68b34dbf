package agent

import (
	"testing"

	"gitlab.com/wend/wend/session/tools"
)

// realTools is the production tool registry on dir.
func realTools(t testing.TB, dir string) Toolbox {
	t.Helper()
	reg, err := tools.New(tools.Config{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}
