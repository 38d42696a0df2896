import nnmath.nn as nn

class SpeechRecognitionModel(nn.Module):
    def __init__(self, vocab_size, input_size, hidden_size, num_layers, dropout=0.3):
        super(SpeechRecognitionModel, self).__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, dropout=dropout, batch_first=True)
        self.fc = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, h0, c0):
        output, (hn, cn) = self.lstm(x, (h0, c0))
        output = self.fc(output[:, -1, :])
        return output, (hn, cn)
