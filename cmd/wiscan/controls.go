package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wiscan/wiscan/scan"
)

func (a *app) controlsCommand() *cobra.Command {
	var format string
	var policies []string
	cmd := &cobra.Command{
		Use:   "controls",
		Short: "List the control catalog",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := scan.NewEvaluator(cmd.Context(), scan.Config{Policies: scan.Policies{Dirs: policies}})
			if err != nil {
				return usageErr("%w", err)
			}
			cs := e.Controls()
			switch format {
			case "json":
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(cs)
			case "table":
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				// The tabwriter buffers: a failed write shows in Flush.
				_, _ = fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE")
				for _, c := range cs {
					_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Severity, c.Title)
				}
				return tw.Flush()
			default:
				return usageErr("-o %q: want table or json", format)
			}
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "table or json")
	cmd.Flags().StringArrayVar(&policies, "policy", nil, "directory of user Rego policies to include, repeatable")
	return cmd
}
