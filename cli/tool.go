package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/session/tools"
)

// toolOptions are what `wend tool` needs.
type toolOptions struct {
	verbIO
	configFile string // --config, for the tools' settings
	name       string // the tool; "" lists them
	args       string // --args, a JSON object
	json       bool
}

func newToolCmd(g *globals) *cobra.Command {
	var o toolOptions
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
			o.verbIO, o.configFile, o.name = g.verbIO(), g.configFile, ""
			if len(pos) == 1 {
				o.name = pos[0]
			}
			return runTool(cmd.Context(), &o)
		},
	}
	cmd.Flags().StringVar(&o.args, "args", "", "the tool's arguments as a JSON object")
	cmd.Flags().BoolVar(&o.json, "json", false, "print the whole result as JSON")
	return cmd
}

// runTool is `wend tool`: list the tools, or run one.
func runTool(ctx context.Context, o *toolOptions) error {
	ws, err := o.workspace(ctx)
	if err != nil {
		return err
	}
	reg, err := tools.New(assemble.ToolConfig(ws.settings, o.configFile, tools.Config{Root: ws.repo.Root(), Repo: ws.repo}))
	if err != nil {
		return err
	}
	if o.name == "" {
		for _, s := range reg.Specs() {
			if s.Engine {
				continue
			}
			desc, _, _ := strings.Cut(s.Description, "\n")
			fmt.Fprintf(o.out, "%-16s %-8s %s\n", s.Name, s.Effect, desc)
		}
		return nil
	}
	if o.args == "" {
		o.args = "{}"
	}
	if !json.Valid([]byte(o.args)) {
		return usageErr("--args is not valid JSON: %s", o.args)
	}
	res := reg.Execute(ctx, tools.Call{ID: "cli", Name: o.name, Args: json.RawMessage(o.args)})
	if o.json {
		if err := json.NewEncoder(o.out).Encode(res); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(o.out, res.Output)
	}
	if res.IsError {
		// The result itself says what went wrong; the exit code tells scripts.
		return &exitError{code: ExitFailed, err: fmt.Errorf("%s", res.Summary)}
	}
	return nil
}
