#!/bin/sh
# examples/slurm-requeue.sh — a vem fit that survives pre-emption (docs/reliability.md,
# "Checkpoint and resume"). Submit with `sbatch --requeue examples/slurm-requeue.sh`.
# Slurm sends SIGTERM, then SIGKILL after KillWait (30 s by default): vem finishes the
# iteration, writes the checkpoint and the model so far and exits 130; the next run of
# the job resumes from the checkpoint.
#SBATCH --job-name=vem-lda
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --ntasks=4
#SBATCH --time=04:00:00
# Resume when a checkpoint is there (a requeued run), start afresh otherwise.
ck=${SLURM_SUBMIT_DIR:-.}/lda.ckpt
resume=
[ -e "$ck" ] && resume="--resume $ck"
srun vem fit lda corpus -k 100 --algorithm stepwise --passes 20 --mpi -o lda.json \
    --checkpoint "$ck" --checkpoint-every 15m $resume
rc=$?
# 130: pre-empted with the checkpoint written; let Slurm requeue the job.
[ $rc -eq 130 ] && scontrol requeue "$SLURM_JOB_ID"
exit $rc
