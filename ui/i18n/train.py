"""Strings of the Train page."""

EN = {
    "train.intro": (
        "Choose a recipe (or set every knob yourself), press **Start** and watch a network learn to read "
        "handwritten digits: the loss falls and the test accuracy climbs. Training runs in the background, "
        "so you can visit other pages and come back to a chart that is still moving."
    ),
    # preset and groups
    "train.preset": "Recipe",
    "train.preset.custom": "custom (my own settings)",
    "train.preset.help": "A classic recipe from a tutorial or paper. Choosing one fills in every control below; "
                         "changing any control afterwards makes it 'custom'.",
    "train.preset.custom.note": "✏️ Your own settings. Pick a recipe above to start from a known one.",
    "train.group.model": "Model",
    "train.group.objective": "What it minimises",
    "train.group.optimisation": "How it learns",
    "train.group.knn": "Nearest neighbours",
    "train.group.device": "Where it runs",
    "train.group.extras": "More: stop at a target, fewer training images",
    # model
    "train.arch": "Architecture",
    "train.arch.help": "The kind of network. Bigger and convolutional networks learn better but take longer.",
    "train.arch.linear": "Linear (one layer, 784 → 10)",
    "train.arch.mlp": "MLP (fully connected hidden layers)",
    "train.arch.cnn": "Small CNN (3 convolutions)",
    "train.arch.lenet5": "LeNet-5 (LeCun 1998)",
    "train.arch.scratch": "NumPy network (backprop by hand)",
    "train.arch.knn": "k-nearest neighbours (no training)",
    "train.widths": "Hidden layer widths",
    "train.widths.help": "Neurons in each hidden layer, separated by commas: '128,64' means 784 → 128 → 64 → 10.",
    "train.widths.bad": "“{text}” is not a list of hidden-layer widths. Write positive whole numbers separated "
                        "by commas, for example **128,64** (two hidden layers) or **32** (one).",
    "train.hidden": "Hidden neurons",
    "train.hidden.help": "Size of the single sigmoid hidden layer of the 784 → H → 10 NumPy network (Nielsen used 30).",
    "train.note.scratch": "The NumPy network is Michael Nielsen's network.py: sigmoid units, quadratic cost, "
                          "plain SGD on the CPU, every gradient written by hand. Only its size and the training "
                          "settings can change.",
    "train.note.knn": "kNN does not learn by gradient descent: it memorises the training images and labels a new "
                      "image by a vote of the k most similar ones. No loss, optimizer or epochs here.",
    "train.activation": "Activation",
    "train.activation.help": "The non-linearity after each hidden layer. ReLU trains fastest; sigmoid and tanh "
                             "are the historical ones and saturate.",
    "train.note.activation.linear": "A linear model has no hidden layer, so no activation.",
    "train.note.activation.relu": "This network uses ReLU, as its authors did.",
    # objective
    "train.loss": "Loss",
    "train.loss.help": "The number training tries to make small. Cross-entropy is the standard for classification.",
    "train.loss.ce": "cross-entropy",
    "train.loss.mse": "MSE on one-hot",
    "train.loss.hinge": "hinge (SVM)",
    "train.loss.ce.note": "s = the network's 10 scores, y = the true digit. Small when the true digit gets most "
                          "of the softmax probability.",
    "train.loss.mse.note": "Treats classification as regression towards the one-hot vector (1 for the true digit, "
                           "0 elsewhere). Works, but learns more slowly.",
    "train.loss.hinge.note": "Zero once the true digit's score beats every other score by a margin of 1 "
                             "(the multiclass SVM of CS231n).",
    "train.l2": "L2 penalty (weight decay)",
    "train.l2.help": "Adds l2 · ½ Σ w² to the loss, pulling the weights towards zero; it fights overfitting.",
    "train.smoothing": "Label smoothing",
    "train.smoothing.help": "Cross-entropy only. The target gives the right digit 1 − s and spreads s over all ten: "
                            "the network is never pushed to be 100% sure, so it tolerates a higher learning rate "
                            "(speedrun-cnn uses 0.1). The test loss is always measured without it.",
    "train.off": "off",
    # optimisation
    "train.optimizer": "Optimizer",
    "train.optimizer.help": "How each step moves the weights: plain SGD, SGD with momentum 0.9, or Adam "
                            "(adapts a step size per weight).",
    "train.optimizer.sgd": "SGD",
    "train.optimizer.momentum": "momentum",
    "train.optimizer.adam": "Adam",
    "train.lr": "Learning rate",
    "train.lr.help": "How big each step is (a log scale: each tick is about 2x). Too small learns slowly, too "
                     "big diverges. Adam likes about 0.001, SGD 0.01-0.1.",
    "train.batch": "Batch size",
    "train.batch.help": "Training images per step. Bigger batches give smoother gradients and more images per "
                        "second, but fewer steps per epoch.",
    "train.epochs": "Epochs",
    "train.epochs.help": "Passes over the whole training set (60,000 images).",
    "train.schedule": "Learning-rate schedule",
    "train.schedule.help": "constant: the same rate all along. one-cycle: warm up to the rate, then anneal to "
                           "almost zero, which often reaches a better accuracy in fewer epochs.",
    "train.schedule.constant": "constant",
    "train.schedule.onecycle": "one-cycle",
    # knn
    "train.k": "k (neighbours that vote)",
    "train.k.help": "How many of the most similar training images vote on the label. The chart shows other k too.",
    "train.knn_features": "Compare images by",
    "train.knn_features.help": "blocks: the ink in each cell of a grid (fast, tolerant of small shifts). "
                               "pixels: all 784 raw pixel values.",
    "train.knn_features.blocks": "ink per block",
    "train.knn_features.pixels": "raw pixels",
    "train.knn_grid": "Grid (cells per side)",
    "train.knn_grid.help": "The image is cut into grid × grid cells; 7 gives 49 cells of 4×4 pixels.",
    # device
    "train.device": "Device",
    "train.device.help": "Where the arithmetic happens. 'Auto' takes a GPU when there is one, else the CPU.",
    "train.device.auto": "Auto",
    "train.device.unavailable": "🚫 ~~{device}~~ — unavailable: {reason}",
    "train.note.device.scratch": "The NumPy network always runs on the CPU.",
    "train.seed": "Random seed",
    "train.seed.help": "Fixes the starting weights and the order of the batches: the same seed gives the same run.",
    # extras
    "train.subset": "Training images",
    "train.subset.help": "Train on only the first N images: quicker demos, and a way to see how much data matters.",
    "train.subset.all": "all",
    "train.target": "Stop at test accuracy",
    "train.target.help": "Stop as soon as a full-test evaluation reaches this accuracy (every evaluation then "
                         "uses the whole test set).",
    "train.invalid": "These settings cannot train: {msg}",
    # start and job controls
    "train.start": "▶ Start training",
    "train.start.help": "Train with the settings on the left, in the background.",
    "train.start.busy": "A run is in progress: stop it (its model is kept) before starting another.",
    "train.will_train": "Will train: {summary}",
    "train.pause": "⏸ Pause",
    "train.resume": "▶ Resume",
    "train.pause.help": "Hold training between two steps; resume continues exactly where it stopped.",
    "train.stop": "⏹ Stop and keep model",
    "train.stop.help": "End training now. The model learned so far is evaluated on the full test set and kept "
                       "as a run.",
    "train.idle": "No training yet in this workspace. Press **Start training**: the loss curve and the test "
                  "accuracy will appear here and move as the network learns.",
    "train.job": "**{name}** · {summary}",
    "train.queued.next": "Waiting: it is next, and starts as soon as a worker takes it.",
    "train.queued.mine": "Waiting: it starts after your {names}.",
    "train.queued.others": "Waiting for a free worker: {n} job(s) of other people are ahead of it; it starts by "
                           "itself.",
    "train.queued.both": "Waiting: it starts after your {names}, and {n} job(s) of other people are ahead of it.",
    "train.queued.noworker": "Waiting, but no training worker is running on this server, so it cannot start until "
                             "one is (see the warning at the top).",
    "train.remove": "✖ Remove from the queue",
    "train.remove.help": "Takes this job out of the queue. Nothing was trained yet, so nothing is lost.",
    "train.others": "**Your other jobs ({n})**, in the order they will train:",
    "train.list.paused": "⏸ Paused at epoch {epoch}. Resume it, or stop it to keep the model as it is.",
    "train.interrupted.restart": "⚠️ Interrupted at epoch {epoch}, before its first epoch ended: there is no "
                                 "checkpoint, so Resume starts it again from epoch 0 and its curve so far is "
                                 "dropped.",
    "train.progress.early": "Epoch {epoch} / {epochs}",
    "train.chance.stopped": "⚠️ Stopped, and the network had not learned: test accuracy **{acc}** ({time}) is "
                            "about what guessing gives (10% for ten digits).",
    "train.more.to": " (to epoch {to})",
    "train.knn.running": "⏳ Measuring the distance from every test image to every training image…",
    "train.progress": "Epoch {epoch} / {epochs} · {ips} images/s · {left} left",
    "train.paused": "⏸ Paused. Press Resume to go on, or stop to keep the model as it is.",
    "train.elapsed": "Time",
    "train.done": "✅ Finished: test accuracy **{acc}** in {time}.",
    "train.done.target": "🎯 Reached the target: test accuracy **{acc}** in {time}.",
    "train.stopped": "⏹ Stopped: the model so far reaches **{acc}** on the test set ({time}).",
    "train.failed": "Training failed: {msg}",
    "train.unqueued": "⏹ Taken out of the queue before it started: nothing was trained.",
    "train.knn.stopped": "⏹ Stopped while comparing the test images with the training images. k-NN learns "
                         "nothing beyond storing the training set, so there is no run to keep: start it again "
                         "to see its accuracy.",
    "train.diverged": "💥 The run diverged: {reason}.",
    "train.tips": "**What to try:**",
    "train.tip.lr": "lower the learning rate to **{lr}**, a rate that learns with this optimizer and loss;",
    "train.tip.adam": "use **Adam** at **{lr}**, which scales each step for you;",
    "train.tip.onecycle": "use the **one-cycle** schedule peaking at **{lr}**: it starts with small steps;",
    "train.tip.batch": "use a **larger batch** (64) at **{lr}**: its gradient is less noisy;",
    "train.tip.ce": "use **cross-entropy** loss at **{lr}**: its gradients stay well behaved.",
    "train.tip.apply": "Set the learning rate to {lr}",
    "train.tip.apply.help": "Changes only the learning rate on the left; press Start to try again.",
    "train.refused": "Not started: {reason}.",
    "train.progress.numbers": " · accuracy {acc} · loss {loss}",
    "train.sum.epoch": "{n} epoch",
    "train.sum.epochs": "{n} epochs",
    "train.sum.batch": "batch {n}",
    "train.interrupted": "⚠️ Interrupted at epoch {epoch}: {reason}. Nothing is lost up to its last checkpoint: "
                         "press Resume to go on, or Stop to keep the model from that checkpoint.",
    "train.chance": "⚠️ Finished, but the network did not learn: test accuracy **{acc}** ({time}) is about what "
                    "guessing gives (10% for ten digits). The loss barely moved: the steps were too small, too "
                    "large, or the settings cannot fit the data.",
    "train.tips.chance": "**What to try next time:**",
    "train.more": "Continue for {n} more epoch(s)",
    "train.more.epochs": "More epochs",
    "train.more.help": "Trains this run further from its saved weights and optimizer state, as a new run whose "
                       "curves go on from this one's. This run stays as it is.",
    "train.saved": "It is now the run **{name}**: compare it, look at its mistakes or draw a digit for it.",
    "train.to_runs": "Open the Runs page",
    # charts
    "train.logy": "Log scale",
    "train.logy.help": "A logarithmic loss axis shows the slow improvements late in training.",
    "train.plot.step": "Step (one batch)",
    "train.plot.loss": "Loss",
    "train.plot.raw": "loss of each batch",
    "train.plot.smoothed": "smoothed",
    "train.plot.test_loss": "test loss",
    "train.plot.epoch": "Epoch",
    "train.plot.accuracy": "Test accuracy",
    "train.plot.quick": "quick check",
    "train.plot.full": "full test set",
    "train.plot.chance": "guessing: 10%",
    "train.plot.target": "target",
    "train.plot.k": "k (neighbours that vote)",
    "train.plot.chosen": "your k",
    "train.explain.loss": "**Loss** is how wrong the network is, averaged over the images of one batch "
                          "(batch size {batch}): lower is better. The thin line jumps because every batch is "
                          "different; the thick line is a moving average. Red diamonds: loss on test images it "
                          "never trains on.",
    "train.explain.loss.scratch": "**Loss** here is Nielsen's quadratic cost ½‖a − y‖², averaged over the "
                                  "images of one batch (batch size {batch}): lower is better. The thick line is "
                                  "a moving average of the noisy per-batch values.",
    "train.explain.acc": "**Test accuracy** is the share of test images (never used for training) read correctly. "
                         "It starts near **10%**: an untrained network guesses, and there are 10 digits. Small "
                         "dots check {n} test images; big dots use the whole test set at the end of each epoch.",
    "train.explain.acc.target": "**Test accuracy** is the share of test images (never used for training) read "
                                "correctly. It starts near **10%**: an untrained network guesses, and there are 10 "
                                "digits. To stop honestly at {target}, every check here uses the whole test set.",
    "train.explain.knn": "kNN keeps every training image and labels a test image by a vote of its **k** closest "
                         "ones. k = 1 copies the single nearest image; a larger k outvotes odd neighbours, until "
                         "it starts to blur the classes. The star is the k you chose.",
    "train.resumed.auto": "↻ Resumed by itself from its checkpoint at epoch {epoch}, after the worker pool "
                          "restarted.",
    "train.resumed.auto.start": "↻ Resumed by itself after the worker pool restarted; it had no checkpoint yet, "
                                "so it started again from epoch 0.",
    "train.damaged": "⚠️ {n} job record(s) of this workspace are damaged (a write cut short, for example) and "
                     "cannot be read. Each costs only its own job: remove it to clear this notice (its run "
                     "folder, if there is one, stays).",
    "train.damaged.remove": "Remove damaged job record {id}",
    "train.interrupted.why": "Why: {reason}.",
}

ZH = {
    "train.intro": (
        "选择一个配方（或自己调整每个参数），点击**开始训练**，看着网络学会识别手写数字：损失下降，测试准确率上升。"
        "训练在后台进行，你可以去看其他页面，回来时图表仍在更新。"
    ),
    "train.preset": "配方",
    "train.preset.custom": "自定义（我自己的设置）",
    "train.preset.help": "来自教程或论文的经典配方。选择后会填好下面所有控件；之后修改任何控件都会变成“自定义”。",
    "train.preset.custom.note": "✏️ 你自己的设置。在上方选一个配方，可以从已知的设置开始。",
    "train.group.model": "模型",
    "train.group.objective": "最小化什么",
    "train.group.optimisation": "怎样学习",
    "train.group.knn": "最近邻",
    "train.group.device": "在哪里运行",
    "train.group.extras": "更多：达到目标就停止、减少训练图像",
    "train.arch": "网络结构",
    "train.arch.help": "网络的种类。更大的网络和卷积网络学得更好，但耗时更长。",
    "train.arch.linear": "线性模型（一层，784 → 10）",
    "train.arch.mlp": "多层感知机 MLP（全连接隐藏层）",
    "train.arch.cnn": "小型 CNN（3 个卷积层）",
    "train.arch.lenet5": "LeNet-5（LeCun 1998）",
    "train.arch.scratch": "NumPy 网络（手写反向传播）",
    "train.arch.knn": "k 近邻（无需训练）",
    "train.widths": "隐藏层宽度",
    "train.widths.help": "每个隐藏层的神经元个数，用逗号分隔：“128,64”表示 784 → 128 → 64 → 10。",
    "train.widths.bad": "“{text}”不是隐藏层宽度列表。请写用逗号分隔的正整数，例如 **128,64**（两个隐藏层）"
                        "或 **32**（一个隐藏层）。",
    "train.hidden": "隐藏层神经元数",
    "train.hidden.help": "784 → H → 10 NumPy 网络中唯一的 sigmoid 隐藏层的大小（Nielsen 用的是 30）。",
    "train.note.scratch": "NumPy 网络就是 Michael Nielsen 的 network.py：sigmoid 单元、二次代价、在 CPU 上用普通 SGD，"
                          "每个梯度都是手写的。只能修改它的大小和训练设置。",
    "train.note.knn": "kNN 不用梯度下降学习：它记住所有训练图像，新图像的标签由最相似的 k 张图像投票决定。"
                      "这里没有损失、优化器和轮次。",
    "train.activation": "激活函数",
    "train.activation.help": "每个隐藏层之后的非线性函数。ReLU 训练最快；sigmoid 和 tanh 是早期的选择，容易饱和。",
    "train.note.activation.linear": "线性模型没有隐藏层，所以没有激活函数。",
    "train.note.activation.relu": "这个网络使用 ReLU，和原作者一样。",
    "train.loss": "损失函数",
    "train.loss.help": "训练要让它变小的那个数。交叉熵是分类问题的标准选择。",
    "train.loss.ce": "交叉熵",
    "train.loss.mse": "独热编码上的均方误差",
    "train.loss.hinge": "合页损失（SVM）",
    "train.loss.ce.note": "s = 网络输出的 10 个分数，y = 真实数字。当真实数字得到大部分 softmax 概率时，损失就小。",
    "train.loss.mse.note": "把分类当作回归，逼近独热向量（真实数字为 1，其余为 0）。能学会，但更慢。",
    "train.loss.hinge.note": "当真实数字的分数比其他每个分数都高出至少 1 时，损失为零（CS231n 的多类 SVM）。",
    "train.l2": "L2 惩罚（权重衰减）",
    "train.l2.help": "在损失上加上 l2 · ½ Σ w²，把权重拉向零，用来对抗过拟合。",
    "train.smoothing": "标签平滑",
    "train.smoothing.help": "只用于交叉熵。目标给正确数字 1 − s，再把 s 平均分给全部十个数字："
                            "网络不会被逼到 100% 确定，因此能承受更高的学习率（speedrun-cnn 用 0.1）。"
                            "测试损失总是不加平滑来计算。",
    "train.off": "关闭",
    "train.optimizer": "优化器",
    "train.optimizer.help": "每一步怎样更新权重：普通 SGD、动量为 0.9 的 SGD，或 Adam（为每个权重自适应步长）。",
    "train.optimizer.sgd": "SGD",
    "train.optimizer.momentum": "动量",
    "train.optimizer.adam": "Adam",
    "train.lr": "学习率",
    "train.lr.help": "每一步迈多大（对数刻度：每一格约为 2 倍）。太小学得慢，太大会发散。Adam 适合约 0.001，"
                     "SGD 适合 0.01-0.1。",
    "train.batch": "批大小",
    "train.batch.help": "每一步使用的训练图像数。批越大，梯度越平滑、每秒处理的图像越多，但每轮的步数越少。",
    "train.epochs": "轮次",
    "train.epochs.help": "完整遍历训练集（60,000 张图像）的次数。",
    "train.schedule": "学习率调度",
    "train.schedule.help": "恒定：始终使用同一学习率。单周期：先升温到设定的学习率，再退火到接近零，"
                           "通常能用更少的轮次达到更高的准确率。",
    "train.schedule.constant": "恒定",
    "train.schedule.onecycle": "单周期",
    "train.k": "k（参与投票的近邻数）",
    "train.k.help": "由多少张最相似的训练图像投票决定标签。图表也会显示其他 k 的结果。",
    "train.knn_features": "比较图像的依据",
    "train.knn_features.help": "分块：网格中每个格子里的墨迹量（快，能容忍小的平移）。像素：全部 784 个原始像素值。",
    "train.knn_features.blocks": "每块的墨迹量",
    "train.knn_features.pixels": "原始像素",
    "train.knn_grid": "网格（每边格数）",
    "train.knn_grid.help": "把图像切成 网格 × 网格 个格子；7 表示 49 个 4×4 像素的格子。",
    "train.device": "设备",
    "train.device.help": "在哪里做计算。“自动”在有 GPU 时使用 GPU，否则使用 CPU。",
    "train.device.auto": "自动",
    "train.device.unavailable": "🚫 ~~{device}~~ — 不可用：{reason}",
    "train.note.device.scratch": "NumPy 网络总是在 CPU 上运行。",
    "train.seed": "随机种子",
    "train.seed.help": "固定初始权重和批次顺序：相同的种子得到相同的训练过程。",
    "train.subset": "训练图像数",
    "train.subset.help": "只用前 N 张图像训练：演示更快，也能看出数据量有多重要。",
    "train.subset.all": "全部",
    "train.target": "达到此测试准确率时停止",
    "train.target.help": "一旦完整测试集上的评估达到这个准确率就停止（此时每次评估都使用整个测试集）。",
    "train.invalid": "这些设置无法训练：{msg}",
    "train.start": "▶ 开始训练",
    "train.start.help": "在后台用左侧的设置进行训练。",
    "train.start.busy": "正在训练中：请先停止它（模型会保留），再开始新的训练。",
    "train.will_train": "将要训练：{summary}",
    "train.pause": "⏸ 暂停",
    "train.resume": "▶ 继续",
    "train.pause.help": "在两步之间暂停训练；继续时从停下的地方接着训练。",
    "train.stop": "⏹ 停止并保留模型",
    "train.stop.help": "立即结束训练。目前学到的模型会在完整测试集上评估，并保存为一条训练记录。",
    "train.idle": "本工作区还没有训练。点击**开始训练**：损失曲线和测试准确率会出现在这里，并随着网络的学习而变化。",
    "train.job": "**{name}** · {summary}",
    "train.queued.next": "等待中：下一个就是它，训练进程一接手就开始。",
    "train.queued.mine": "等待中：在你的 {names} 之后开始。",
    "train.queued.others": "正在等待空闲的训练进程：前面有 {n} 个其他人的任务；轮到它时会自动开始。",
    "train.queued.both": "等待中：在你的 {names} 之后开始，前面还有 {n} 个其他人的任务。",
    "train.queued.noworker": "等待中，但这台服务器上没有正在运行的训练进程，"
                             "在有进程之前它无法开始（见页面顶部的警告）。",
    "train.remove": "✖ 移出队列",
    "train.remove.help": "把这个任务移出队列。它还没有训练，所以什么也不会丢失。",
    "train.others": "**你的其他任务（{n} 个）**，按训练顺序排列：",
    "train.list.paused": "⏸ 暂停在第 {epoch} 轮。可以继续，或者停止并保留当前模型。",
    "train.interrupted.restart": "⚠️ 在第 {epoch} 轮中断，第一轮还没结束：没有检查点，所以“继续”会从第 0 轮重新开始，"
                                 "之前的曲线会被丢弃。",
    "train.progress.early": "第 {epoch} / {epochs} 轮",
    "train.chance.stopped": "⚠️ 已停止，而网络还没有学会：测试准确率 **{acc}**（{time}）和随便猜差不多"
                            "（十个数字猜中的概率是 10%）。",
    "train.more.to": "（到第 {to} 轮）",
    "train.knn.running": "⏳ 正在计算每张测试图像到每张训练图像的距离……",
    "train.progress": "第 {epoch} / {epochs} 轮 · 每秒 {ips} 张图像 · 剩余 {left}",
    "train.paused": "⏸ 已暂停。点击“继续”接着训练，或者停止并保留当前模型。",
    "train.elapsed": "用时",
    "train.done": "✅ 训练完成：测试准确率 **{acc}**，用时 {time}。",
    "train.done.target": "🎯 达到目标：测试准确率 **{acc}**，用时 {time}。",
    "train.stopped": "⏹ 已停止：目前的模型在测试集上达到 **{acc}**（{time}）。",
    "train.failed": "训练失败：{msg}",
    "train.unqueued": "⏹ 在开始之前已移出队列：没有进行任何训练。",
    "train.knn.stopped": "⏹ 在将测试图像与训练图像比较时已停止。k-NN 除了存储训练集之外什么也不学，"
                         "所以没有可保留的运行：重新开始即可看到它的准确率。",
    "train.diverged": "💥 训练发散了：{reason}。",
    "train.tips": "**可以试试：**",
    "train.tip.lr": "把学习率降到 **{lr}**，这个学习率配合当前的优化器和损失能学会；",
    "train.tip.adam": "使用 **Adam**，学习率 **{lr}**，它会自动调整每一步的大小；",
    "train.tip.onecycle": "使用**单周期**调度，峰值学习率 **{lr}**：它从小步长开始；",
    "train.tip.batch": "使用**更大的批**（64），学习率 **{lr}**：梯度噪声更小；",
    "train.tip.ce": "使用**交叉熵**损失，学习率 **{lr}**：它的梯度更稳定。",
    "train.tip.apply": "把学习率设为 {lr}",
    "train.tip.apply.help": "只修改左侧的学习率；再点击“开始训练”重新尝试。",
    "train.refused": "没有开始：{reason}。",
    "train.progress.numbers": " · 准确率 {acc} · 损失 {loss}",
    "train.sum.epoch": "{n} 轮",
    "train.sum.epochs": "{n} 轮",
    "train.sum.batch": "批量 {n}",
    "train.interrupted": "⚠️ 在第 {epoch} 轮中断：{reason}。到最近一个检查点为止的一切都还在："
                         "点“继续”接着训练，或点“停止”保留那个检查点的模型。",
    "train.chance": "⚠️ 训练结束了，但网络没有学会：测试准确率 **{acc}**（{time}）和随便猜差不多"
                    "（十个数字猜中的概率是 10%）。损失几乎没有变化：步子太小、太大，或者这些设置无法拟合数据。",
    "train.tips.chance": "**下次可以试试：**",
    "train.more": "再训练 {n} 轮",
    "train.more.epochs": "追加轮数",
    "train.more.help": "从这次训练保存的权重和优化器状态接着训练，作为一个新的训练记录，"
                       "曲线从这次的末尾接下去。这次的记录保持不变。",
    "train.saved": "它现在是训练记录 **{name}**：可以对比它、查看它的错误，或者写一个数字让它识别。",
    "train.to_runs": "打开“训练记录”页",
    "train.logy": "对数刻度",
    "train.logy.help": "损失轴使用对数刻度，可以看清训练后期缓慢的进步。",
    "train.plot.step": "步数（一个批次）",
    "train.plot.loss": "损失",
    "train.plot.raw": "每个批次的损失",
    "train.plot.smoothed": "平滑后",
    "train.plot.test_loss": "测试损失",
    "train.plot.epoch": "轮次",
    "train.plot.accuracy": "测试准确率",
    "train.plot.quick": "快速检查",
    "train.plot.full": "完整测试集",
    "train.plot.chance": "瞎猜：10%",
    "train.plot.target": "目标",
    "train.plot.k": "k（参与投票的近邻数）",
    "train.plot.chosen": "你选的 k",
    "train.explain.loss": "**损失**衡量网络错得有多厉害，是一个批次 {batch} 张图像上的平均值：越低越好。"
                          "细线上下跳动，因为每个批次都不一样；粗线是滑动平均。红色菱形：在从未用于训练的测试图像上的损失。",
    "train.explain.loss.scratch": "这里的**损失**是 Nielsen 的二次代价 ½‖a − y‖²，在一个批次 {batch} 张图像上取平均："
                                  "越低越好。粗线是带噪声的逐批数值的滑动平均。",
    "train.explain.acc": "**测试准确率**是测试图像（从不用于训练）中被正确识别的比例。它从约 **10%** 开始："
                         "未训练的网络只能瞎猜，而数字有 10 个。小点检查 {n} 张测试图像；"
                         "大点在每轮结束时使用整个测试集。",
    "train.explain.acc.target": "**测试准确率**是测试图像（从不用于训练）中被正确识别的比例。它从约 **10%** 开始："
                                "未训练的网络只能瞎猜，而数字有 10 个。为了在达到 {target} 时如实停止，"
                                "这里的每次检查都使用整个测试集。",
    "train.explain.knn": "kNN 保留所有训练图像，测试图像的标签由离它最近的 **k** 张图像投票决定。"
                         "k = 1 直接照抄最近的那张；k 大一些可以压过个别奇怪的近邻，但太大会模糊类别之间的界限。"
                         "星形标记是你选的 k。",
    "train.resumed.auto": "↻ 训练进程池重启后，它已自动从第 {epoch} 轮的检查点接着训练。",
    "train.resumed.auto.start": "↻ 训练进程池重启后，它已自动重新开始；当时还没有检查点，所以从第 0 轮开始。",
    "train.damaged": "⚠️ 这个工作区有 {n} 条任务记录已损坏（例如写入被中断），无法读取。每条只影响它自己的任务："
                     "移除它即可清除这条提示（已有的训练记录文件夹会保留）。",
    "train.damaged.remove": "移除损坏的任务记录 {id}",
    "train.interrupted.why": "原因：{reason}。",
}

# Chinese versions of core.learn.presets' `source` sentences (English comes from the preset itself, so it never
# drifts); kept outside EN/ZH because only one language needs them. A preset missing here shows its English source.
ZH_SOURCES = {
    "fc4-adam": "流行的 PyTorch 入门视频教程（例如 sentdex 的《Deep Learning with PyTorch》）中的四层全连接网络"
                "（三个 64 单元的隐藏层）：Adam 1e-3，很小的批。",
    "cnn-adam": "许多 PyTorch 课程笔记本中的小型三层卷积 CNN（8、16、32 个通道），用 Adam 以 0.01 的学习率训练 10 轮。",
    "mlp-mse-sgd": "像回归一样在独热目标上训练的 MLP，这是交叉熵成为默认之前早期课程的做法："
                   "可以看出为什么 MSE 学分类很慢。",
    "mlp-adam": "许多“用 PyTorch 识别手写数字”博客文章中的 784-128-64-10 网络，把它们的 SGD 换成了 Adam。",
    "linear-hinge": "斯坦福 CS231n 作业 1 中的线性多类 SVM：分数 Wx + b，间隔为 1 的合页损失加 L2 惩罚，"
                    "批大小 200 的小批量 SGD。",
    "numpy-sigmoid": "Michael Nielsen《神经网络与深度学习》第 1 章的 network.py：784-30-10 个 sigmoid 单元、二次代价、"
                     "学习率 3.0、批大小 10 的 SGD，用 NumPy 手写反向传播（他训练 30 轮；3 轮就足以超过 90%）。",
    "knn-blocks": "按照 OpenCV 手写数字 kNN 示例，在 7x7 网格每个格子的墨迹量上做 k 近邻：完全不训练，只是记住。",
    "speedrun-mlp": "我们让 mlp:128,64 在 CPU 上最快达到 97% 测试准确率的配方：512 张一批，交叉熵加 0.1 的标签平滑，"
                    "单周期 Adam（峰值 0.02），达到目标即停止"
                    "（20 个随机种子都达到了；不加平滑、峰值 0.01 时 6 个中有 3 个没达到）。",
    "speedrun-cnn": "我们让小型 CNN 在 CPU 上最快达到 99.0% 测试准确率的配方：256 张一批，交叉熵加 0.1 的标签平滑，"
                    "2 轮单周期 Adam（峰值 0.02），达到目标即停止（约 1.25-1.5 轮；不加平滑、峰值 0.01 时约 2.5 轮）。",
}
