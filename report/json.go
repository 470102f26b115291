package report

import (
	"context"
	"encoding/json"
	"fmt"
)

// Write implements Writer: the report as indented JSON.
func (j JSON) Write(_ context.Context, r Report) error {
	enc := json.NewEncoder(j.W)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}
