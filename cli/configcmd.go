package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/cli/config"
	"gitlab.com/wend/wend/context/repo"
)

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
			root := ""
			dir := g.dir
			if dir == "" {
				dir = "."
			}
			// Outside a repository the repository file simply does not apply.
			r, err := repo.Open(cmd.Context(), dir)
			if err == nil {
				root = r.Root()
			}
			s, err := g.loadConfig(root)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
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
				if glc, err := g.gitlabConfig(cmd.Context(), &workspace{repo: r, settings: s}, "config"); err == nil {
					fmt.Fprintf(g.stdout, "\nGitLab project in effect: %s/%s\n", glc.BaseURL, glc.Project)
				}
			}
			if line := repoTrustLine(s.Repo); line != "" {
				fmt.Fprintln(g.stdout)
				fmt.Fprintln(g.stdout, line)
			}
			return nil
		},
	}
}
