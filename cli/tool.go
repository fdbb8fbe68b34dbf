package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/session/tools"
)

func newToolCmd(g *globals) *cobra.Command {
	var args string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "tool NAME --args JSON",
		Short: "Run one tool directly in the current repository and print its result",
		Long: `Run one of the tools the model uses, exactly as the model would, and print what
it would read. For debugging and benchmarks. Writes go straight to the working
tree (no session, no staging). Without NAME, list the tools.`,
		Example: `  wend tool read_file --args '{"path":"main.go","limit":20}'
  wend tool grep --args '{"pattern":"func main"}'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, pos []string) error {
			ws, err := g.openWorkspace(cmd.Context())
			if err != nil {
				return err
			}
			reg, err := tools.New(assemble.ToolConfig(ws.settings, g.configFile, tools.Config{Root: ws.repo.Root(), Repo: ws.repo}))
			if err != nil {
				return err
			}
			if len(pos) == 0 {
				for _, s := range reg.Specs() {
					if s.Engine {
						continue
					}
					desc, _, _ := strings.Cut(s.Description, "\n")
					fmt.Fprintf(g.stdout, "%-16s %-8s %s\n", s.Name, s.Effect, desc)
				}
				return nil
			}
			if args == "" {
				args = "{}"
			}
			if !json.Valid([]byte(args)) {
				return usageErr("--args is not valid JSON: %s", args)
			}
			res := reg.Execute(cmd.Context(), tools.Call{ID: "cli", Name: pos[0], Args: json.RawMessage(args)})
			if asJSON {
				if err := json.NewEncoder(g.stdout).Encode(res); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(g.stdout, res.Output)
			}
			if res.IsError {
				// The result itself says what went wrong; the exit code tells scripts.
				return &exitError{code: ExitFailed, err: fmt.Errorf("%s", res.Summary)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&args, "args", "", "the tool's arguments as a JSON object")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the whole result as JSON")
	return cmd
}
