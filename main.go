// Command wend is a terminal-native agentic development workflow for GitLab projects.
package main

import (
	"os"

	"gitlab.com/wend/wend/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
