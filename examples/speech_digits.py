"""Recognise spoken digits (FSDD, official split) with an LSTM over MFCC frames.

    python examples/speech_digits.py [epochs]
"""
import sys

from nnmath.apps.speech_digits import train

if __name__ == "__main__":
    train(epochs=int(sys.argv[1]) if len(sys.argv) > 1 else 15)
