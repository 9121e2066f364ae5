/**
 * How random cells are drawn (`bnas evaluate --random-rule`, `bnas sweep --random-rule`), apart
 * from the runtime so that the sweep's schemas and the extension read it without the engine
 * (docs/method.md, "Random cells").
 */
export const RANDOM_RULES = ['caps', 'uniform'] as const;
export type RandomRule = (typeof RANDOM_RULES)[number];

/** Random cells of each rule in words, as summaries name them. */
export const RANDOM_CELLS_NAME: Readonly<Record<RandomRule, string>> = {
  caps: 'random cells under the derivation caps',
  uniform: 'uniform random cells',
};

/** The rule of a fresh `--random N`: the fair baseline for cells derived under caps. */
export const DEFAULT_RANDOM_RULE: RandomRule = 'caps';
