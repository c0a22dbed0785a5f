#!/usr/bin/env bash
# seq2seq against OpenNMT-py 3.5.1 at the same wall-clock training budget, both at once, each pinned to
# its own core with one thread; then both translate the same 2,000-sentence test split with beam 5 and
# one sacrebleu call scores both (benchmarks/onmt_budget.py score).
#
# usage: benchmarks/onmt_budget.sh WORK [BUDGET_MIN] [extra seq2seq.train overrides...]
#   WORK        scratch folder (data, logs, checkpoints, results.json, table.md)
#   BUDGET_MIN  training minutes for each system (default 25)
# env: ONMT_VENV (default /tmp/onmtvenv, made by ../shared/bench/anchors/setup_env.sh when missing),
#      PAIRS (default ../shared/data/translation/eng-fra/fra.txt), CPU_ONMT / CPU_OURS (0 / 1),
#      SYSTEMS (default "onmt ours"; "ours" alone for a run of ours, e.g. with data.reverse=true)
#
# Data: the anchors' prepare_data.py split (seed 1; 50,000 train / 2,000 valid / 2,000 test), fed to
# seq2seq as data.path/valid_path/test_path = train/valid/test.tsv, to OpenNMT-py as the char files.
# OpenNMT-py has no time limit: it trains with a checkpoint every SAVE_EVERY steps and is stopped at the
# budget (timeout); the newest checkpoint that loads is translated. seq2seq stops by trainer.max_time
# (its validations count against the budget) and its best checkpoint (val chrF) is translated.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ANCHORS="$(cd "$ROOT/../shared/bench/anchors" && pwd)"
WORK=${1:?usage: onmt_budget.sh WORK [BUDGET_MIN] [overrides...]}; BUDGET=${2:-25}; shift $(( $# > 1 ? 2 : 1 ))
mkdir -p "$WORK"; WORK="$(cd "$WORK" && pwd)"
ONMT_VENV=${ONMT_VENV:-/tmp/onmtvenv}; PAIRS=${PAIRS:-$ROOT/../shared/data/translation/eng-fra/fra.txt}
SYSTEMS=${SYSTEMS:-onmt ours}; SAVE_EVERY=${SAVE_EVERY:-10}
PY="$ROOT/.venv/bin/python"; OPY="$ONMT_VENV/bin/python"; HELP="$ROOT/benchmarks/onmt_budget.py"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONWARNINGS=ignore TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1
REVERSE=false; for o in "$@"; do [ "$o" = data.reverse=true ] && REVERSE=true; done

D="$WORK/data"
[ -f "$D/test.tsv" ] || python3 "$ANCHORS/prepare_data.py" --pairs "$PAIRS" --out "$D" > "$WORK/prepare.log"

run_onmt() {  # train until the budget, then keep the checkpoints
  [ -x "$OPY" ] || bash "$ANCHORS/setup_env.sh" "$ONMT_VENV" > "$WORK/setup_env.log" 2>&1
  local O="$WORK/onmt"; mkdir -p "$O"
  "$PY" "$HELP" render "$ANCHORS/onmt/train.yaml.in" "$O/train.yaml" WORK="$O" DATA="$D" STEPS=1000000 \
    WINDOW=50 GPU_LINES=""
  sed -i "s/^save_checkpoint_steps: .*/save_checkpoint_steps: $SAVE_EVERY/; s/^keep_checkpoint: .*/keep_checkpoint: 3/" \
    "$O/train.yaml"
  taskset -c "${CPU_ONMT:-0}" "$OPY" "$ANCHORS/memwrap.py" onmt.bin.build_vocab -config "$O/train.yaml" \
    -n_sample -1 > "$O/build_vocab.log" 2>&1
  date -u +%s > "$O/start"
  taskset -c "${CPU_ONMT:-0}" timeout "$((BUDGET * 60))" "$OPY" "$ANCHORS/memwrap.py" onmt.bin.train \
    -config "$O/train.yaml" > "$O/train.log" 2>&1 || true   # 124: stopped at the budget
  date -u +%s > "$O/end"
}

run_ours() {
  cd "$ROOT"
  date -u +%s > "$WORK/ours.start"
  taskset -c "${CPU_OURS:-1}" "$PY" -m seq2seq.train experiment=translation_tatoeba \
    data.path="$D/train.tsv" data.valid_path="$D/valid.tsv" data.test_path="$D/test.tsv" \
    trainer.max_time="00:00:$(printf %02d "$BUDGET"):00" trainer.enable_progress_bar=false \
    test_after_fit=false hydra.run.dir="$WORK/ours" "$@" > "$WORK/ours.log" 2>&1
  date -u +%s > "$WORK/ours.end"
}

decode_onmt() {  # the newest checkpoint that translates (one may be cut by the stop)
  local O="$WORK/onmt" c
  for c in $(ls -t "$O"/model_step_*.pt); do
    if taskset -c "${CPU_ONMT:-0}" "$OPY" "$ANCHORS/memwrap.py" onmt.bin.translate -model "$c" \
        -src "$D/test.src" -output "$O/test.beam5.hyp" -gpu -1 -batch_size 64 -batch_type sents \
        -beam_size 5 -max_length 250 -max_length_ratio 0 -seed 1 > "$O/translate.log" 2>&1; then
      echo "$c" > "$O/translated_ckpt"; return 0
    fi
  done
  echo "error: no OpenNMT-py checkpoint translated; see $O/translate.log" >&2; return 1
}

decode_ours() {
  cd "$ROOT"
  taskset -c "${CPU_OURS:-1}" "$PY" -m seq2seq.evaluate ckpt_path="$WORK/ours/checkpoints/best.ckpt" \
    decoding.beam_size=5 output_dir="$WORK/ours/eval" > "$WORK/ours.eval.log" 2>&1
}

pids=()
for s in $SYSTEMS; do "run_$s" "$@" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
pids=()
for s in $SYSTEMS; do "decode_$s" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done

args=(score --refs "$D/test.tsv" --budget-min "$BUDGET" --out "$WORK/results.json")
[ "$REVERSE" = true ] && args+=(--reverse)
case " $SYSTEMS " in *" onmt "*)
  args+=(--onmt "$WORK/onmt/test.beam5.hyp" --onmt-log "$WORK/onmt/train.log" --onmt-ckpt "$(cat "$WORK/onmt/translated_ckpt")");;
esac
case " $SYSTEMS " in *" ours "*)
  step=$("$PY" -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=True)['global_step'])" \
    "$WORK/ours/checkpoints/last.ckpt")
  args+=(--ours "$WORK/ours/eval/predictions.txt" --ours-ckpt "$WORK/ours/checkpoints/best.ckpt" --ours-step-count "$step");;
esac
"$PY" "$HELP" "${args[@]}" | tee "$WORK/table.md"
