package cli

import (
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// newVersionCmd is `wend version`: the same line as `wend --version`, for
// scripts and bug reports that prefer a verb.
func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print wend's version and the Go toolchain that built it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write([]byte(buildVersion()))
			return err
		},
	}
}

// buildVersion is the version line of this binary, from the build information
// the Go toolchain records (no version variable to keep in step by hand).
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	return versionLine(bi, ok)
}

// versionLine is the one line `wend --version` and `wend version` print: the
// module version (a tag when built with `go install ...@vX`), else the VCS
// revision `go build` stamps in a checkout, "+dirty" when the tree had edits,
// then the Go version.
func versionLine(bi *debug.BuildInfo, ok bool) string {
	if !ok || bi == nil {
		return "wend (unknown version)\n"
	}
	parts := []string{"wend", bi.Main.Version}
	if bi.Main.Version == "" {
		parts[1] = "(devel)"
	}
	if parts[1] == "(devel)" {
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value[:min(len(s.Value), 12)]
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
		if rev != "" {
			parts = append(parts, rev+dirty)
		}
	}
	if bi.GoVersion != "" {
		parts = append(parts, bi.GoVersion)
	}
	return strings.Join(parts, " ") + "\n"
}
