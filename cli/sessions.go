package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func init() { register(newSessionsCmd) }

func newSessionsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "List this repository's sessions, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ws, err := g.openWorkspace(cmd.Context())
			if err != nil {
				return err
			}
			st, err := sessionStore(cmd.Context(), ws.repo)
			if err != nil {
				return err
			}
			list, err := st.List()
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(g.stdout)
				for _, s := range list {
					if err := enc.Encode(s); err != nil {
						return err
					}
				}
				return nil
			}
			if len(list) == 0 {
				fmt.Fprintln(g.stdout, "No sessions yet in this repository. Start one with: wend \"your task\"")
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTARTED\tSTATE\tSTEPS\tTASK")
			for _, s := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\n", s.ID, s.Started.Local().Format("Jan 2 15:04"), s.State, s.Done, s.Steps, oneLine(s.Task, 60))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per session")
	return cmd
}

// oneLine flattens text and cuts it to n runes.
func oneLine(s string, n int) string { return shortArgs([]byte(s), n) }
