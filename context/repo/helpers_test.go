package repo

import (
	"context"
	"gitlab.com/wend/wend/internal/gittest"
	"testing"
)

// The git helpers are shared with the other packages' tests.
var (
	runGit     = gittest.Run
	writeFiles = gittest.WriteFiles
	newGitRepo = gittest.NewRepo
)

func openRepo(t testing.TB, dir string) *Repo {
	t.Helper()
	r, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
