package cli

import (
	"runtime/debug"
	"strings"
	"testing"
)

// Issue 16: `wend --version` and `wend version` print the same line, naming the
// module version and the Go toolchain, and exit 0.
func TestVersionFlagAndVerbPrintTheBuild(t *testing.T) {
	env := wendEnv(t, nil)
	code, flagOut, errOut := wend(t, env, "--version")
	if code != ExitOK {
		t.Fatalf("--version: exit %d: %s", code, errOut)
	}
	code, verbOut, errOut := wend(t, env, "version")
	if code != ExitOK {
		t.Fatalf("version: exit %d: %s", code, errOut)
	}
	if flagOut != verbOut {
		t.Errorf("--version printed %q, version printed %q", flagOut, verbOut)
	}
	if !strings.HasPrefix(flagOut, "wend ") || !strings.Contains(flagOut, "go1.") || strings.Count(flagOut, "\n") != 1 {
		t.Errorf("version line = %q, want one line: wend VERSION ... goX", flagOut)
	}
}

func TestVersionLineNamesTheRevisionOfADevelopmentBuild(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "gitlab.com/wend/wend", Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := versionLine(bi, true), "wend (devel) 0123456789ab+dirty go1.26.8\n"; got != want {
		t.Errorf("devel build: %q, want %q", got, want)
	}
	bi = &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "gitlab.com/wend/wend", Version: "v1.2.3"}}
	if got, want := versionLine(bi, true), "wend v1.2.3 go1.26.8\n"; got != want {
		t.Errorf("release build: %q, want %q", got, want)
	}
	if got, want := versionLine(nil, false), "wend (unknown version)\n"; got != want {
		t.Errorf("no build info: %q, want %q", got, want)
	}
}

// A flag error on the root command names `wend --help`, not `wend wend --help`.
func TestRootFlagErrorNamesTheRightHelp(t *testing.T) {
	code, _, errOut := wend(t, wendEnv(t, nil), "--no-such-flag")
	if code != ExitUsage || !strings.Contains(errOut, "Run 'wend --help'") || strings.Contains(errOut, "wend wend") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
