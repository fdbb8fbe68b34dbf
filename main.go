// Command wend is a terminal-native agentic development workflow for GitLab projects.
package main

import (
	"os"

	"gitlab.com/wend/wend/cli"
	"gitlab.com/wend/wend/internal/sandbox"
)

func main() {
	// wend re-executes itself as the init of a sandboxed command: that must
	// happen before anything else reads config or starts goroutines.
	sandbox.Main()
	os.Exit(cli.Main(os.Args[1:]))
}
