package app

import "github.com/instant-erp/instanterp/internal/erp/seed"

// AppendSeedStepForTest adds step at the end of module's seeds in p, as a newer
// build would, and takes it into p's expected fingerprint.
func AppendSeedStepForTest(p *Platform, module string, step seed.Step) error {
	mods := make([]seed.Module, len(p.seeds))
	for i, m := range p.seeds {
		mods[i] = seed.Module{Name: m.Name, Steps: append([]seed.Step(nil), m.Steps...)}
		if m.Name == module {
			mods[i].Steps = append(mods[i].Steps, step)
		}
	}
	fp, err := schemaFingerprint(p.Registry, mods)
	if err != nil {
		return err
	}
	p.seeds, p.schema = mods, fp
	return nil
}
