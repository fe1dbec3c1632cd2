# Sourced by train_setok.sh, pretrain_mm_proj.sh and finetune.sh: turns the original scripts'
# arrays (IMAGE_FOLDER, DATA_PATH, DATASET_NAME, DATA_MULTIPLE, and our DATASET_TYPE: the reader
# of each entry, default "instruct", and DATASET_ANNOTATIONS: a second file, e.g. VQAv2's
# annotations, default none) into the JSON list of a config's data.train, in $DATASETS.
dataset_arrays_to_json() {
  local n=${#DATA_PATH[@]}
  if [ "${#IMAGE_FOLDER[@]}" -ne "$n" ] || [ "${#DATA_MULTIPLE[@]}" -ne "$n" ] ||
     [ "${#DATASET_NAME[@]}" -ne "$n" ]; then
    echo "$(basename "$0"): IMAGE_FOLDER, DATA_PATH, DATASET_NAME and DATA_MULTIPLE need one entry per dataset" >&2
    exit 2
  fi
  DATASETS=""
  local i type annotations
  for i in "${!DATA_PATH[@]}"; do
    type="${DATASET_TYPE[$i]:-instruct}"
    annotations=""
    [ -n "${DATASET_ANNOTATIONS[$i]:-}" ] && annotations=", \"annotations\": \"${DATASET_ANNOTATIONS[$i]}\""
    [ -n "$DATASETS" ] && DATASETS+=","
    DATASETS+="{\"type\": \"$type\", \"name\": \"${DATASET_NAME[$i]}\", \"path\": \"${DATA_PATH[$i]}\"$annotations, \"image_root\": \"${IMAGE_FOLDER[$i]}\", \"multiple\": ${DATA_MULTIPLE[$i]}}"
    echo "dataset ${DATASET_NAME[$i]} ($type): ${DATA_PATH[$i]} (images in ${IMAGE_FOLDER[$i]}, x${DATA_MULTIPLE[$i]})"
  done
}
