cd /work/main
exec .venv/bin/trm-hub train plugin=maze model_name=trialA out_dir=runs/maze/trialA threads=1 compile=true \
 model.ffn_multiple=32 model.halt_input=mean model.halt_max_steps=8 \
 steps=100000 eval_every=250 eval_samples=200 ema_rate=0.99 checkpoint_every=0 \
 'data.test_sizes=[[15,15]]' data.test_per_size=200 data.train_size=20000
