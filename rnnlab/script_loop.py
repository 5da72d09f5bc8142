"""The text of an exported script, part 2: model, training loop, shrink and evaluation (rnnlab/script.py
fills the `$names` in). The code mirrors rnnlab/models.py, train.py, experiment.py and evaluate.py
operation by operation: tests/test_script.py checks the metrics agree to 1e-6."""

MODEL = '''
# %% Model
# $what, then a linear layer from the last hidden state to the predictions.
class Forecaster(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.rnn = nn.$module(n_features, HIDDEN, num_layers=LAYERS, batch_first=True,
            dropout=DROPOUT if LAYERS > 1 else 0.0$extra)
        self.head = nn.Linear(HIDDEN, HORIZON)
        self.register_buffer("blend", None)  # a share of "repeat the last value", set by the shrink

    def forward(self, x, all_steps=False):
        out, _ = self.rnn(x)  # (batch, steps, HIDDEN): the hidden state after every step
        y = self.head(out) if all_steps else self.head(out[:, -1])
        if self.blend is not None:
            y = y + (x[:, :, :1] if all_steps else x[:, -1, :1]) * self.blend[0] + self.blend[1]
        return y


torch.manual_seed(SEED)
model = Forecaster(x_raw.shape[-1])
'''

INIT = '''with torch.no_grad():  # initialisation `$init` (gain $gain) of every recurrent matrix block
    for layer in range(LAYERS):
        w_hh = getattr(model.rnn, f"weight_hh_l{layer}")
        for b in range($blocks):
            $block
        nn.init.xavier_uniform_(getattr(model.rnn, f"weight_ih_l{layer}"))
        getattr(model.rnn, f"bias_ih_l{layer}").zero_()
        getattr(model.rnn, f"bias_hh_l{layer}").zero_()$forget
'''

TRAIN = '''
# %% Training
$about
optimizer = $make_optimizer
order = torch.Generator().manual_seed(SEED)
params = [p for p in model.parameters() if p.requires_grad]
best, best_state, bad_epochs, stopped = math.inf, None, 0, "completed"


def validation_loss():
    model.eval()
    with torch.no_grad():
        total = 0.0
        for i in range(0, len(x["val"]), 4096):
            total += float(((model(x["val"][i:i + 4096]) - y["val"][i:i + 4096]) ** 2).sum())
    model.train()
    return total / y["val"].numel() if len(x["val"]) else None


model.train()
for epoch in range(1, EPOCHS + 1):
    perm, losses = torch.randperm(len(y_fit), generator=order), []
    for i in range(0, len(y_fit), BATCH_SIZE):
        xb, yb = x_fit[perm[i:i + BATCH_SIZE]], y_fit[perm[i:i + BATCH_SIZE]]
        optimizer.zero_grad(set_to_none=True)
        loss = $loss
        loss.backward()
        norm = nn.utils.clip_grad_norm_(params, CLIP if CLIP > 0 else math.inf)
        loss_v, norm_v = torch.stack([loss.detach(), norm]).tolist()
        if not (math.isfinite(loss_v) and math.isfinite(norm_v)):
            stopped = "diverged"
            break
        optimizer.step()
        losses.append(loss_v)
    if stopped == "diverged":
        break
    val = validation_loss()
    print(f"epoch {epoch}: train loss {np.mean(losses):.5f}, validation loss {val}")
    if PATIENCE and val is not None:  # early stopping keeps the best epoch's weights
        if val < best - 1e-12:
            best, best_state, bad_epochs = val, {k: v.clone() for k, v in model.state_dict().items()}, 0
        else:
            bad_epochs += 1
            if bad_epochs >= PATIENCE:
                stopped = "early-stop"
                break
if best_state is not None:
    model.load_state_dict(best_state)
model.eval()


def predict(xs, last_rows):
    """Predictions in the series' units, (n, HORIZON)."""
    with torch.no_grad():
        out = [model(xs[i:i + 4096]).float().numpy() for i in range(0, len(xs), 4096)]
    return unscale_targets(np.concatenate(out) if out else np.zeros((0, HORIZON)), last_rows)
'''

SHRINK = '''
# %% Shrink toward persistence
# A network that did worse than repeating the last value on validation is shrunk toward it:
# prediction = alpha * (network) + (1 - alpha) * (last value), alpha fitted on validation only.
last_val = last[parts["val"], :1]
change = predict(x["val"], last[parts["val"]]) - last_val
truth = y_raw[parts["val"]] - last_val
if np.isfinite(change).all() and np.mean((truth - change) ** 2) >= np.mean(truth ** 2):
    alpha = float(np.clip((truth * change).sum() / max((change * change).sum(), 1e-300), 0.0, 1.0))
    with torch.no_grad():
        for p in (model.head.weight, model.head.bias):
            p.mul_(alpha)
        share = torch.tensor($persistence, dtype=torch.float32)
        share = (1 - alpha) * share[:, None].expand(2, HORIZON)
        model.blend = share.clone() if bool(share.any()) else None
    print(f"shrunk toward persistence: alpha = {alpha:.3f}")
'''

EVALUATE = '''
# %% Evaluation
# Test metrics in the series' units, next to baselines on the same test windows: persistence (repeat
# the last value), seasonal naive (the value one season back) and a linear autoregression.
test = parts["test"]
truth, last_test = y_raw[test], last[test]
pred = predict(x["test"], last_test)
past = x_raw[test][:, :, 0]  # each test window's own past of the target
baselines = {"persistence": np.repeat(last_test[:, :1], HORIZON, axis=1)}
if period and period <= LOOKBACK:
    cols = [LOOKBACK - period * int(np.ceil(k / period)) + (k - 1) for k in range(1, HORIZON + 1)]
    baselines["seasonal_naive"] = past[:, cols]
$linear

def scores(p):
    err = np.asarray(p, float) - truth
    if not np.isfinite(err).all():
        return {"mse": None, "mae": None}
    return {"mse": float(np.mean(err ** 2)), "mae": float(np.mean(np.abs(err)))}


windows = {k: int(m.sum()) for k, m in parts.items()}
print(json.dumps({"test": scores(pred), "baselines": {k: scores(v) for k, v in baselines.items()},
                  "stopped": stopped, "epochs": epoch, "windows": windows}))
'''


LINEAR = '''tr = parts["train"]  # linear: least squares on the training windows, relative to the last value
feats = np.column_stack([x_raw[tr][:, :, 0] - last[tr, :1], np.ones(tr.sum())])
coef = np.linalg.solve(feats.T @ feats + 1e-6 * np.eye(feats.shape[1]),
                       feats.T @ (y_raw[tr] - last[tr, :1]))
feats_test = np.column_stack([past - last_test[:, :1], np.ones(len(past))])
baselines["linear"] = feats_test @ coef + last_test[:, :1]
'''
