package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/remote/audit"
)

func newAuditCmd(g *globals) *cobra.Command {
	var f audit.Filter
	var since string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "List the requests wend made to GitLab and model providers",
		Long: `Every outgoing request is recorded as one JSON line (time, session, method, host,
path, status, bytes, duration): never a token, header value or query secret.`,
		Example: "  wend audit --since 2h\n  wend audit --host .gitlab.com --json\n  wend audit --session 20261123-101500-ab12cd",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if since != "" {
				t, err := audit.ParseSince(since, time.Now())
				if err != nil {
					return usageErr("--since %q: use a duration (2h), a date (2026-11-23) or an RFC 3339 time", since)
				}
				f.Since = t
			}
			path, err := audit.DefaultPath()
			if err != nil {
				return err
			}
			file, err := os.Open(path)
			if errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(g.stdout, "No requests recorded yet (%s).\n", path)
				return nil
			}
			if err != nil {
				return err
			}
			defer file.Close()
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			if !asJSON {
				fmt.Fprintln(tw, "TIME\tSESSION\tMETHOD\tHOST\tPATH\tSTATUS\tBYTES\tMS")
			}
			enc := json.NewEncoder(g.stdout)
			n := 0
			skipped, err := audit.Read(file, f, func(r audit.Record) error {
				n++
				if asJSON {
					return enc.Encode(r)
				}
				status := fmt.Sprint(r.Status)
				if r.Error != "" {
					status = r.Error
				}
				_, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%.0f\n", r.Time.Local().Format("Jan 2 15:04:05"),
					r.Session, r.Method, r.Host, r.Path, status, r.Bytes, r.Duration)
				return err
			})
			if err != nil {
				return err
			}
			if !asJSON {
				tw.Flush()
				if n == 0 {
					fmt.Fprintln(g.stdout, "(no matching requests)")
				}
			}
			if skipped > 0 {
				fmt.Fprintf(g.stderr, "wend: %d unreadable line(s) in %s were skipped\n", skipped, path)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&f.Session, "session", "", "only this session's requests")
	cmd.Flags().StringVar(&since, "since", "", "only requests since a duration ago (2h), a date or a time")
	cmd.Flags().StringVar(&f.Host, "host", "", "only this host (or .suffix)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the records as JSON lines")
	return cmd
}
