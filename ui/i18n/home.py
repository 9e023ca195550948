"""Strings of the Home page."""

EN = {
    "home.title": "🔢 MNIST Lab",
    "home.intro": (
        "Train real neural networks on 70,000 handwritten digits, watch them learn, look at their mistakes "
        "and draw digits for them to read. Below: the three steps, then how a network turns an image into "
        "a digit, shown on a real test image."
    ),
    "home.steps": "Three steps",
    "home.step1.title": "1 · Train",
    "home.step1.body": "Pick a network and its settings, press start, and watch the loss fall and the accuracy rise.",
    "home.step1.link": "Go to Train",
    "home.step2.title": "2 · Look at the mistakes",
    "home.step2.body": "Which digits does your model confuse? Open the confusion matrix and the images it got wrong.",
    "home.step2.link": "Go to Evaluate",
    "home.step3.title": "3 · Draw",
    "home.step3.body": "Draw a digit with the mouse and see what your model reads, with its probabilities.",
    "home.step3.link": "Go to Draw",
    "home.quick.title": "A first model in a minute",
    "home.quick.body": (
        "Train a small network ({arch}, one pass over the {n:,} training images) in the background: on the full "
        "training set it reaches about 95% test accuracy. The sidebar shows its progress on every page."
    ),
    "home.quick.button": "Train a small model now",
    "home.quick.help": "Starts a real training job (preset mlp-adam, 1 epoch) in the background for this workspace.",
    "home.quick.running": "**{name}** is training ({pct:.0%}). Watch it on the Train page.",
    "home.quick.queued": "**{name}** is waiting in the queue: it has not started yet. See it on the Train page.",
    "home.quick.paused": "**{name}** is paused. Resume it on the Train page.",
    "home.quick.interrupted": "**{name}** was interrupted. Resume it on the Train page.",
    "home.quick.done": "**{name}** is trained: it is now in your runs, and the probabilities below use it.",
    "home.quick.failed": "The training job failed: {error}",
    "home.quick.watch": "Watch it on the Train page",
    "home.how.title": "How a network reads a digit",
    "home.how.intro": (
        "Follow one real image from the test set through a network: pixels, a vector, layers, ten scores, "
        "probabilities."
    ),
    "home.pick": "Test image number",
    "home.pick.help": "Which of the {n:,} test images to follow through the network (0 is the first).",
    "home.label": "This is test image **#{index}**; its label (the digit a person wrote) is **{label}**.",
    "home.grid.title": "① 28 × 28 grey values",
    "home.grid.body": (
        "To a computer the image is just a table of 28 × 28 = 784 numbers, one per pixel: **0** is blank paper, "
        "**255** is full ink, values in between are the soft edges of the pen stroke. Every number is written "
        "in its cell; hover a cell to see its row and column."
    ),
    "home.grid.zeros": "Write the zeros too",
    "home.grid.zeros.help": "Show 0 in the blank cells as well (busier, but every value is visible).",
    "home.grid.hover": "row {row}, column {col}: {value}",
    "home.grid.ink": "{share:.0%} of the 784 pixels hold some ink; the rest are 0.",
    "home.flat.title": "② Flattened into a vector of 784 numbers",
    "home.flat.body": (
        "A fully-connected network does not see rows and columns: the rows are laid end to end, so pixel "
        "(row r, column c) becomes entry **28·r + c** of one long vector. The outlined row {row} of the image "
        "is positions {start} to {stop} of the strip below."
    ),
    "home.flat.axis": "position in the vector",
    "home.flat.hover": "x[{i}] = {value}",
    "home.flat.values": (
        "Positions {start}–{stop} (row {row}), as the network "
        "receives them (divided by 255 and standardised):"
    ),
    "home.layers.title": "③ Layers",
    "home.layers.body": (
        "Each unit of a layer multiplies every value of the layer before by its own weight, adds them up with a "
        "bias, and passes the sum through an activation (ReLU keeps positive sums and sets negative ones to 0). "
        "The weights and biases are the parameters: this network has **{params:,}** of them."
    ),
    "home.layers.input": "inputs",
    "home.layers.hidden": "hidden",
    "home.layers.output": "outputs",
    "home.layers.other": (
        "The run **{name}** is a {arch}, not a stack of fully-connected "
        "layers; the diagram shows the simple MLP."
    ),
    "home.out.title": "④ Ten scores, then softmax",
    "home.out.body": (
        "The last layer gives one score z for each digit 0–9. Softmax turns the scores into probabilities: "
        "exponentiate (so all are positive) and divide by the sum (so they add up to 1). The highest "
        "probability is the network's answer."
    ),
    "home.out.run": "Outputs of your run **{name}** for this image:",
    "home.out.untrained": (
        "You have no trained run yet, so these are the outputs of a freshly initialised, untrained "
        "784 → 128 → 64 → 10 network: its weights are random, so its scores are small and its probabilities "
        "are all close to 10%. Train a model and come back."
    ),
    "home.out.noscores": (
        "**{name}** is not a PyTorch network ({arch}), so there is no softmax here: a kNN's probabilities are the "
        "share of the k nearest training images voting for each digit, the NumPy network's are its ten sigmoid "
        "outputs divided by their sum."
    ),
    "home.out.probs.plain": "probabilities p",
    "home.out.scores": "scores z (logits)",
    "home.out.probs": "probabilities p = softmax(z)",
    "home.out.answer": (
        "The network answers **{pred}** with probability **{p:.1%}**; the label (shaded) is **{label}**."
    ),
    "home.train.title": "⑤ Training",
    "home.train.body": (
        "At first the weights are random and the answers are guesses. The loss measures how wrong an answer is: "
        "for one image it is −ln of the probability given to the right digit. Training shows the network "
        "thousands of images and nudges every parameter a little in the direction that lowers the loss "
        "(gradient descent, with the gradient computed by backpropagation)."
    ),
    "home.train.loss": "For this image: p(label {label}) = {p:.3f}, so the loss is −ln {p:.3f} = **{loss:.3f}**.",
    "home.run_pick": "Run used for the outputs",
}

ZH = {
    "home.title": "🔢 MNIST 实验室",
    "home.intro": (
        "在 70,000 个手写数字上训练真正的神经网络，看它们如何学习，查看它们犯的错误，再亲手写数字让它们识别。"
        "下面先是三个步骤，然后用一张真实的测试图片说明网络如何把图片变成数字。"
    ),
    "home.steps": "三个步骤",
    "home.step1.title": "1 · 训练",
    "home.step1.body": "选择一个网络和它的设置，点击开始，看损失下降、准确率上升。",
    "home.step1.link": "前往训练",
    "home.step2.title": "2 · 查看错误",
    "home.step2.body": "你的模型会把哪些数字弄混？打开混淆矩阵，看看它认错的图片。",
    "home.step2.link": "前往评估",
    "home.step3.title": "3 · 手写",
    "home.step3.body": "用鼠标写一个数字，看看你的模型认出了什么，以及它给出的概率。",
    "home.step3.link": "前往手写",
    "home.quick.title": "一分钟训练第一个模型",
    "home.quick.body": (
        "在后台训练一个小网络（{arch}，把 {n:,} 张训练图片过一遍）：在完整训练集上，它的测试准确率约为 95%。"
        "侧边栏会在每一页显示训练进度。"
    ),
    "home.quick.button": "立即训练一个小模型",
    "home.quick.help": "为本工作区在后台启动一个真正的训练任务（预设 mlp-adam，1 轮）。",
    "home.quick.running": "**{name}** 正在训练（{pct:.0%}）。请在“训练”页观看。",
    "home.quick.queued": "**{name}** 正在排队等待，还没有开始。请在“训练”页查看。",
    "home.quick.paused": "**{name}** 已暂停。请在“训练”页继续。",
    "home.quick.interrupted": "**{name}** 被中断了。请在“训练”页继续。",
    "home.quick.done": "**{name}** 训练完成：它已加入你的训练记录，下面的概率就来自它。",
    "home.quick.failed": "训练任务失败：{error}",
    "home.quick.watch": "在“训练”页观看",
    "home.how.title": "网络如何读懂一个数字",
    "home.how.intro": "跟随测试集中的一张真实图片走过整个网络：像素、向量、各层、十个分数、概率。",
    "home.pick": "测试图片编号",
    "home.pick.help": "选择 {n:,} 张测试图片中的哪一张来跟踪（0 是第一张）。",
    "home.label": "这是第 **#{index}** 张测试图片；它的标签（书写者写的数字）是 **{label}**。",
    "home.grid.title": "① 28 × 28 个灰度值",
    "home.grid.body": (
        "对计算机来说，这张图片只是一张 28 × 28 = 784 个数字的表格，每个像素一个数："
        "**0** 是空白的纸，**255** 是最浓的墨迹，中间的值是笔画柔和的边缘。每个数字都写在它的格子里；"
        "把鼠标悬停在格子上可以看到它的行和列。"
    ),
    "home.grid.zeros": "也写出 0",
    "home.grid.zeros.help": "在空白格子里也显示 0（更密集，但每个值都能看到）。",
    "home.grid.hover": "第 {row} 行，第 {col} 列：{value}",
    "home.grid.ink": "784 个像素中有 {share:.0%} 带有墨迹，其余都是 0。",
    "home.flat.title": "② 展平成 784 个数字的向量",
    "home.flat.body": (
        "全连接网络看不到行和列：各行首尾相接排成一行，于是像素（第 r 行，第 c 列）成为一个长向量的第 "
        "**28·r + c** 个元素。图片中框出的第 {row} 行就是下面长条中的第 {start} 到 {stop} 个位置。"
    ),
    "home.flat.axis": "在向量中的位置",
    "home.flat.hover": "x[{i}] = {value}",
    "home.flat.values": "第 {start}–{stop} 个位置（第 {row} 行），即网络实际接收到的数值（除以 255 并标准化后）：",
    "home.layers.title": "③ 网络层",
    "home.layers.body": (
        "一层中的每个单元把前一层的每个值乘以各自的权重，加起来再加上偏置，然后把和送入激活函数"
        "（ReLU 保留正的和，把负的变成 0）。权重和偏置就是参数：这个网络共有 **{params:,}** 个参数。"
    ),
    "home.layers.input": "输入",
    "home.layers.hidden": "隐藏层",
    "home.layers.output": "输出",
    "home.layers.other": "训练记录 **{name}** 是 {arch}，不是全连接层的堆叠；示意图展示的是简单的多层感知机。",
    "home.out.title": "④ 十个分数，然后是 softmax",
    "home.out.body": (
        "最后一层为每个数字 0–9 给出一个分数 z。softmax 把分数变成概率：先取指数（使它们都为正），"
        "再除以总和（使它们加起来等于 1）。概率最高的就是网络的答案。"
    ),
    "home.out.run": "你的训练记录 **{name}** 对这张图片的输出：",
    "home.out.untrained": (
        "你还没有训练好的模型，所以这里显示的是一个刚初始化、未经训练的 784 → 128 → 64 → 10 网络的输出："
        "它的权重是随机的，所以分数都很小，概率都接近 10%。训练一个模型后再回来看看。"
    ),
    "home.out.noscores": (
        "**{name}** 不是 PyTorch 网络（{arch}），所以这里没有 softmax："
        "kNN 的概率是 k 个最近的训练图片中投票给每个数字的比例，NumPy 网络的概率是它的十个 sigmoid 输出除以它们的和。"
    ),
    "home.out.probs.plain": "概率 p",
    "home.out.scores": "分数 z（logits）",
    "home.out.probs": "概率 p = softmax(z)",
    "home.out.answer": "网络的答案是 **{pred}**，概率为 **{p:.1%}**；标签（阴影处）是 **{label}**。",
    "home.train.title": "⑤ 训练",
    "home.train.body": (
        "一开始权重是随机的，答案只是瞎猜。损失衡量答案错得有多离谱：对一张图片来说，它等于 −ln（分给正确数字的概率）。"
        "训练就是让网络看成千上万张图片，并把每个参数朝着让损失变小的方向微调一点"
        "（梯度下降，梯度由反向传播算出）。"
    ),
    "home.train.loss": "对这张图片：p(标签 {label}) = {p:.3f}，所以损失是 −ln {p:.3f} = **{loss:.3f}**。",
    "home.run_pick": "用于输出的训练记录",
}
