package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/cli/config"
	"gitlab.com/wend/wend/context/repo"
	"gitlab.com/wend/wend/remote/gitlab"
)

// configOptions are what `wend config` needs.
type configOptions struct {
	verbIO
	dir string // -C DIR; "" is the current directory
	// load merges the settings for a repository root, "" outside one (globals.loadConfig).
	load func(root string) (*config.Settings, error)
	// gitlab finds the GitLab project in effect (globals.gitlabConfig).
	gitlab func(ctx context.Context, ws *workspace, sessionID string) (gitlab.Config, error)
}

func newConfigCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print the effective settings and where each came from (secrets redacted)",
		Long: `Print every setting with its value and origin. Sources, lowest precedence first:
defaults, ` + config.UserConfigPath() + `, .wend.toml in the repository
(only its safe settings unless you ran 'wend trust'; see 'wend trust --help'),
environment (WEND_PROVIDER, WEND_MODEL, WEND_BASE_URL, WEND_APPROVAL, GITLAB_URL,
ANTHROPIC_API_KEY, OPENAI_API_KEY, GITLAB_TOKEN), then flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o := configOptions{verbIO: g.verbIO(), dir: g.dir, load: g.loadConfig, gitlab: g.gitlabConfig}
			return runConfig(cmd.Context(), &o)
		},
	}
}

// runConfig is `wend config`.
func runConfig(ctx context.Context, o *configOptions) error {
	root := ""
	dir := o.dir
	if dir == "" {
		dir = "."
	}
	// Outside a repository the repository file simply does not apply.
	r, err := repo.Open(ctx, dir)
	if err == nil {
		root = r.Root()
	}
	s, err := o.load(root)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(o.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tVALUE\tFROM")
	for _, row := range s.Rows() {
		v := row[1]
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", row[0], v, row[2])
	}
	for _, k := range s.Repo.Ignored {
		fmt.Fprintf(tw, "%s\t%s\tignored (%s): %s\n", k.Key, k.Value, k.Why, k.Origin)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r != nil {
		// What GitLab commands will really use: gitlab_url and origin combined.
		if glc, err := o.gitlab(ctx, &workspace{repo: r, settings: s}, "config"); err == nil {
			fmt.Fprintf(o.out, "\nGitLab project in effect: %s/%s\n", glc.BaseURL, glc.Project)
		}
	}
	if line := repoTrustLine(s.Repo); line != "" {
		fmt.Fprintln(o.out)
		fmt.Fprintln(o.out, line)
	}
	return nil
}
